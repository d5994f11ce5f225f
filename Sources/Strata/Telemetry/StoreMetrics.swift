import CoreMetrics

/// The metric handles of one open store, created once so that recording is
/// a call on an existing handler, not a lookup per event.
struct StoreMetrics: Sendable {
    let pointsAppended: Counter
    let walBytesWritten: Counter
    let walSyncs: Counter
    let segmentBytesWritten: Counter
    let flushes: Counter
    let flushDuration: Timer
    let compactionDuration: Timer
    let queryDuration: Timer
    let segments: Gauge

    init(_ telemetry: Telemetry) {
        let dimensions = telemetry.dimensions
        let factory = telemetry.metricsFactory ?? MetricsSystem.factory
        pointsAppended = Counter(label: "strata_points_appended_total", dimensions: dimensions, factory: factory)
        walBytesWritten = Counter(label: "strata_wal_bytes_written_total", dimensions: dimensions, factory: factory)
        walSyncs = Counter(label: "strata_wal_syncs_total", dimensions: dimensions, factory: factory)
        segmentBytesWritten = Counter(label: "strata_segment_bytes_written_total", dimensions: dimensions, factory: factory)
        flushes = Counter(label: "strata_flushes_total", dimensions: dimensions, factory: factory)
        flushDuration = Timer(label: "strata_flush_duration", dimensions: dimensions, factory: factory)
        compactionDuration = Timer(label: "strata_compaction_duration", dimensions: dimensions, factory: factory)
        queryDuration = Timer(label: "strata_query_duration", dimensions: dimensions, factory: factory)
        segments = Gauge(label: "strata_segments", dimensions: dimensions, factory: factory)
    }
}

