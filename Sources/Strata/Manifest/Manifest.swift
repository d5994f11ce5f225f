/// The list of live segments and pending deletions of a store: the one file
/// that says which segment files make up the store.
///
/// Flushes and compactions publish their work by writing a new manifest
/// (see ``ManifestFile``); files not in the manifest are leftovers of an
/// unfinished step and are removed by the next writer to open the store.
struct Manifest: Sendable, Equatable {
    /// A live segment and where its points rank in last-write-wins order.
    struct Segment: Sendable, Equatable {
        /// The sequence number in the file name (`NNNNNNNNNN.seg`).
        var sequence: UInt64
        /// Among segments holding the same series and timestamp, the higher
        /// rank wins. A flushed segment ranks as its sequence; a compacted one
        /// as the highest rank among its inputs.
        var rank: UInt64
        /// 0 for a flushed segment; a `CompactionWindow` level for compacted ones.
        var level: UInt8
        /// Deletions up to this rank were applied when the segment was written:
        /// it holds no point they delete, so they no longer concern it.
        var deletionsApplied: UInt64 = 0

        /// True when `tombstone` may hide points of this segment.
        func isConcerned(by tombstone: Tombstone) -> Bool {
            tombstone.rank > rank && tombstone.rank > deletionsApplied
        }
    }

    /// Increases with every manifest written.
    var generation: UInt64 = 0
    /// The next sequence number to give a segment or deletion.
    var nextSequence: UInt64 = 1
    /// Write-ahead log files numbered up to this one hold only points that
    /// are in the listed segments: opening the store does not replay them
    /// (so a deletion cannot be undone by replaying points it deleted).
    var logCoveredThrough: UInt64 = 0
    /// Live segments, in no particular order.
    var segments: [Segment] = []
    /// Deletions whose points may still be in some segment of lower rank.
    var tombstones: [Tombstone] = []
}

/// A deletion: the points of a device (or of one of its metrics) in a time
/// range, in every segment ranked below the tombstone. Points appended after
/// the deletion rank above it and stay visible.
public struct Tombstone: Sendable, Equatable {
    /// Segments ranked below this lose the matching points.
    public internal(set) var rank: UInt64
    /// The device whose points are deleted (exact name).
    public let device: String
    /// The metric, or nil for every metric of the device.
    public let metric: String?
    /// The first timestamp deleted.
    public let from: Int64
    /// The end of the range, exclusive; `Int64.max` deletes to the end of time
    /// (a point at `Int64.max` included).
    public let to: Int64

    /// A deletion of `device`'s points (of `metric`, or every metric when
    /// nil) with timestamps in `[from, to)`.
    public init(device: String, metric: String? = nil, from: Int64 = .min, to: Int64 = .max) {
        self.rank = 0
        self.device = device
        self.metric = metric
        self.from = from
        self.to = to
    }

    func matches(_ key: SeriesKey) -> Bool {
        guard UTF8Order.equal(key.device, device) else { return false }
        guard let metric else { return true }
        return UTF8Order.equal(key.metric, metric)
    }

    func covers(_ time: Int64) -> Bool {
        time >= from && (to == .max || time < to)
    }

    /// True when the tombstone deletes every point of a series it matches.
    var coversAllTime: Bool { from == .min && to == .max }
}
