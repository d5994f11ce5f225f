extension Store {
    /// Deletes points: each tombstone names a device (and optionally one
    /// metric) and a time range. Queries stop returning the points as soon as
    /// this returns; the space comes back when compaction rewrites the
    /// segments holding them.
    ///
    /// Every point acknowledged before the call began is deleted. A point
    /// appended while the call runs may survive it, and points appended after
    /// it returns are kept, even in the deleted range.
    ///
    /// The head is flushed first, so every point to delete is in a segment
    /// that ranks below the deletion, and the deletion is recorded in the
    /// manifest (durably, in one atomic replacement) with its own rank.
    /// - Throws: `.readOnly`, `.closed`, `.invalidArgument` for an empty range,
    ///   `.io` when the flush or the manifest cannot be written (then nothing
    ///   is deleted).
    public func delete(_ tombstones: [Tombstone]) throws(StrataError) {
        try checkWritable()
        for tombstone in tombstones where TimeRangeEnd.isEmpty(from: tombstone.from, to: tombstone.to) {
            throw StrataError(.invalidArgument, "deletion range [\(tombstone.from), \(tombstone.to)) of \(tombstone.device) is empty")
        }
        guard !tombstones.isEmpty else { return }
        let notDurable = try flushGate.withLock { scratch throws(StrataError) -> StrataError? in
            try flushHeadHoldingGate(closing: false, scratch: &scratch)
            let rank = takeSequence()
            let ranked = tombstones.map { tombstone in
                var ranked = tombstone
                ranked.rank = rank
                return ranked
            }
            return try publish({ manifest in
                manifest.tombstones.append(contentsOf: ranked)
            }, then: { _ in
                // Nothing else to update: a series' type is looked up through the
                // segments and the tombstones (see StoreState.knownType), so one
                // deleted over all time is unknown from here on, unless points
                // appended since the flush above bring it back.
            })
        }
        // Queries no longer see the points, but a power loss may bring them back: say so.
        if let notDurable { throw notDurable }
        for tombstone in tombstones {
            logger.info("deletion recorded", metadata: [
                "device": .string(tombstone.device), "metric": .string(tombstone.metric ?? "*"),
                "from": "\(tombstone.from)", "to": "\(tombstone.to)",
            ])
        }
    }

    /// Deletes the points of `device` (of `metric`, or of every metric when
    /// nil) with timestamps in `[from, to)`; see ``delete(_:)``.
    public func delete(device: String, metric: String? = nil, from: Int64 = .min, to: Int64 = .max) throws(StrataError) {
        try delete([Tombstone(device: device, metric: metric, from: from, to: to)])
    }

    /// The deletions recorded and not yet applied by compaction to every
    /// segment they concern.
    public var pendingDeletions: [Tombstone] {
        state.withLock { $0.manifest.tombstones }
    }

    /// How many visible points `tombstone` would delete now: for a dry run.
    public func countPoints(matching tombstone: Tombstone) throws(StrataError) -> Int {
        var total = 0
        for (key, _) in series() where tombstone.matches(key) {
            var counter = PointCounter()
            _ = try scan(device: key.device, metric: key.metric, from: tombstone.from, to: tombstone.to, into: &counter)
            total += counter.count
        }
        return total
    }
}

/// Counts the points a scan delivers.
struct PointCounter: PointConsumer {
    var count = 0
    mutating func consume(time: Int64, bits: UInt64) { count += 1 }
}
