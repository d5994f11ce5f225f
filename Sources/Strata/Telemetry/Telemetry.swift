import CoreMetrics
import Logging

/// Where a store reports what it does: a swift-log `Logger` for events and a
/// swift-metrics factory for counters, gauges and timers.
///
/// The store never prints. It logs recoveries and damaged files at `notice`
/// and above, flushes, compactions and deletions at `info`, and routine
/// detail at `debug`, with the store's path in the metadata. Its metrics are:
///
/// | label | kind | what |
/// |---|---|---|
/// | `strata_points_appended_total` | counter | points accepted by `append` |
/// | `strata_wal_bytes_written_total` | counter | bytes appended to the write-ahead log |
/// | `strata_wal_syncs_total` | counter | fsyncs of the write-ahead log |
/// | `strata_segment_bytes_written_total` | counter | bytes of segments written by flushes and compactions |
/// | `strata_flushes_total` | counter | heads written into segments |
/// | `strata_flush_duration` | timer | one flush, from freezing the head to publishing its segment |
/// | `strata_compaction_duration` | timer | one compaction step, from planning to publishing |
/// | `strata_query_duration` | timer | one `query` or `downsample` call |
/// | `strata_segments` | gauge | live segment files after each flush or compaction |
///
/// Every metric carries ``dimensions``. With swift-prometheus bootstrapped as
/// the process's metrics backend they appear on its `/metrics` page.
public struct Telemetry: Sendable {
    /// Where the store's events go. Defaults to a logger labelled `strata`,
    /// which uses whatever `LoggingSystem` the process bootstrapped.
    public var logger: Logger
    /// The metrics backend; nil uses the process's `MetricsSystem` (a no-op
    /// until the process bootstraps one).
    public var metricsFactory: (any MetricsFactory)?
    /// Added to every metric, for instance `[("store", "sensors")]` when a
    /// service opens several stores.
    public var dimensions: [(String, String)]

    /// Telemetry through the process-wide logging and metrics systems.
    public init(logger: Logger = Logger(label: "strata"), metricsFactory: (any MetricsFactory)? = nil, dimensions: [(String, String)] = []) {
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.dimensions = dimensions
    }
}
