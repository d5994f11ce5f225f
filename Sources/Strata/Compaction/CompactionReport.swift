/// What ``Store/compact(progress:)`` did.
public struct CompactionReport: Sendable, Equatable {
    /// Compaction steps run (each publishes one new manifest).
    public var steps = 0
    /// Segments read and replaced.
    public var segmentsIn = 0
    /// Segments written.
    public var segmentsOut = 0
    /// Segments removed whole because every point in them had expired.
    public var segmentsExpired = 0
    /// Bytes of the replaced and expired segments.
    public var bytesIn = 0
    /// Bytes of the segments written.
    public var bytesOut = 0
    /// Points read from the inputs (a point stored twice counts twice).
    public var pointsIn = 0
    /// Points written.
    public var pointsOut = 0
    /// Points dropped because a deletion or retention hid them.
    public var pointsDropped = 0
    /// Deletions no longer needed (no segment ranked below them remains).
    public var deletionsCleared = 0
    /// Wall time, milliseconds.
    public var milliseconds = 0

    /// An empty report, all counts zero.
    public init() {}
}

/// How far a compaction has got, for a progress display.
public struct CompactionProgress: Sendable {
    /// The step running, counted from 1.
    public var step: Int
    /// What the step does, for a person ("merging 3 segments into one week").
    public var description: String
    /// Devices merged so far in this step.
    public var devicesDone: Int
    /// Devices the step merges in all.
    public var devicesTotal: Int
}
