extension Store {
    /// The newest visible point of each of `series`, in the same order (nil
    /// for a series with no visible point, or that the store does not know):
    /// for each, the last point ``query(device:metric:from:to:)`` would
    /// return over all time. Newer writes win for the same timestamp,
    /// deletions and retention hide points, and unflushed points count.
    ///
    /// The answer comes from the segment indexes without decoding: each
    /// chunk's entry records its last timestamp and the exact bits of its
    /// last value, and a series' newest point is the last point of its
    /// source (segment or head) with the greatest last timestamp, the newest
    /// source winning a tie. Sources are visited newest first, so a segment
    /// whose points all lie at or before every series' candidate so far is
    /// skipped without reading it (a fleet reporting steadily has its newest
    /// points in the head and the newest segment). The store's state is read
    /// once; each segment read has its device directory walked once, in name
    /// order, against the requested series sorted the same way (already
    /// sorted keys, as ``series()`` lists them, are not sorted again); the
    /// heads are matched through one hash table. A request of 40,000 series
    /// or more is walked in two halves of its devices on two threads. Only a series whose candidate point a deletion may hide,
    /// that was written with both value types, or whose index entry is
    /// damaged, is answered by scanning its points (and then throws what its
    /// query would throw). A segment skipped because newer sources settle
    /// every answer is not read at all: damage there raises no error, where
    /// a query, which reads every source, would throw.
    ///
    /// Points appended while the call runs may or may not be seen.
    ///
    /// - Throws: `.corruptFile` when a segment a scanned series needs is
    ///   damaged (as ``query(device:metric:from:to:)`` would), `.io`.
    /// - Complexity: O(n) for sorted keys (O(n log n) otherwise) plus, per
    ///   segment read, O(devices) name comparisons and the bytes of the
    ///   matched devices' index entries (each entry's checksum is checked on
    ///   the first walk only); O(series in the heads) hash lookups.
    public func latest(of series: [SeriesKey]) throws(StrataError) -> [LatestPoint?] {
        try latest(of: series, seriesPerThread: Self.latestSeriesPerThread)
    }

    /// ``latest(of:)``, its segments walked on two threads from `2 × seriesPerThread` series.
    func latest(of series: [SeriesKey], seriesPerThread: Int) throws(StrataError) -> [LatestPoint?] {
        // The previous request, when this is the same one: its names sorted and its head series matched.
        let kept = latestMemo.withLock { memo -> LatestRequestMemo? in
            guard let found = memo, found.matches(series) else { return nil }
            memo = nil
            return found
        }
        var memo: LatestRequestMemo
        if let kept { memo = kept } else { memo = try LatestRequestMemo(keys: series) }
        let names = memo.names
        let (segments, tombstones, heads, registry) = state.withLock { state in
            (state.segments, state.manifest.tombstones, state.flushing + [state.head], state.registry)
        }
        defer { latestMemo.withLock { [memo] in $0 = memo } }
        let cutoffs = retentionCutoffs(of: names)
        var candidates = LatestCandidates(count: names.count)
        let deletions = GroupTombstones(tombstones, for: names)
        candidates.withSink { sink in
            // Newest first. Heads rank above every segment and every deletion; only retention hides their points.
            offerHeads(Array(heads.reversed()), registry: registry, memo: &memo, cutoffs: cutoffs, seriesPerThread: seriesPerThread, to: sink)
            // A whole fleet's devices are walked in two halves on two cores: each half's
            // series are its own positions of the candidates, so the halves share nothing.
            let parts = Self.latestThreads(for: names.count, seriesPerThread: seriesPerThread)
            let walk = LatestSegmentWalk(
                segments: Array(segments.reversed()), names: names, cutoffs: cutoffs, deletions: deletions, sink: sink,
                parts: parts)
            ParallelWork.run(workers: parts) { part in walk.run(part: part) }
        }
        return try answers(for: series, names: names, candidates: candidates, seriesPerThread: seriesPerThread)
    }

    /// Below this many series a second thread costs more than it saves.
    static let latestSeriesPerThread = 20_000

    /// Two threads (when there are two processors) for `count` items of at least `seriesPerThread` each, else one.
    private static func latestThreads(for count: Int, seriesPerThread: Int) -> Int {
        count / 2 >= seriesPerThread ? min(2, ParallelWork.processorCount) : 1
    }

    /// The answers in the caller's order; the series the index cannot answer are scanned.
    private func answers(for series: [SeriesKey], names: SortedSeriesNames, candidates: LatestCandidates,
                         seriesPerThread: Int) throws(StrataError) -> [LatestPoint?] {
        let parts = Self.latestThreads(for: names.count, seriesPerThread: seriesPerThread)
        let scansOfPart = Locked([[Int]](repeating: [], count: parts))
        var results = [LatestPoint?](unsafeUninitializedCapacity: series.count) { buffer, initialized in
            // Each part fills the answers of its share of the positions: distinct indices of the buffer.
            let filling = LatestAnswerFilling(series: series, names: names, candidates: candidates, answers: buffer, parts: parts)
            ParallelWork.run(workers: parts) { part in
                let scans = filling.run(part: part)
                scansOfPart.withLock { $0[part] = scans }
            }
            initialized = buffer.count
        }
        for position in scansOfPart.withLock({ $0 }).joined() {
            let index = Int(names.original[position])
            results[index] = try latestByScan(series[index])
        }
        return results
    }

    /// Per device group, the first timestamp retention keeps (`Int64.min` when nothing expires).
    private func retentionCutoffs(of names: SortedSeriesNames) -> [Int64] {
        var cutoffs = [Int64](repeating: .min, count: names.groupCount)
        let retention = configuration.retention
        guard !retention.keepsEverything else { return cutoffs }
        let now = wallClockMilliseconds()
        for group in 0..<names.groupCount {
            let device = names.deviceName(ofGroup: group)
            cutoffs[group] = retention.cutoff(for: device, now: now) ?? .min
        }
        return cutoffs
    }

    /// Offers each requested series' newest point in `heads` (newest head
    /// first). Walks the heads' series through a hash table of the request
    /// when the request is about as large as the heads; looks each request
    /// up in the store's series numbers when it is much smaller.
    private func offerHeads(
        _ heads: [Head], registry: SeriesRegistry, memo: inout LatestRequestMemo, cutoffs: [Int64], seriesPerThread: Int,
        to sink: LatestCandidates.Sink
    ) {
        let names = memo.names
        let headSeries = heads.reduce(0) { $0 + $1.seriesCount }
        guard headSeries > 0 else { return }
        if names.count < headSeries / 8 {
            for position in 0..<names.count where !names.repeatsPrevious[position] {
                guard let number = registry.number(of: names.key(at: position)) else { continue }
                for head in heads {
                    if let slot = head.slot(ofNumber: number) {
                        sink.offer(position, head.slotTypes[slot], head.latest(atSlot: slot), from: cutoffs[Int(names.groupOf[position])])
                    }
                }
            }
            return
        }
        // One head (none flushing) holds each series in one slot: halves of its slots offer to
        // distinct candidates, so they run on two threads. Two heads may hold a series twice.
        let parts = heads.count == 1 ? Self.latestThreads(for: headSeries, seriesPerThread: seriesPerThread) : 1
        memo.mapNumbers(of: heads)
        let walk = LatestHeadWalk(heads: heads, registry: registry, names: names, cutoffs: cutoffs, positionOfNumber: memo.positionOfNumber,
                                  sink: sink, parts: parts)
        ParallelWork.run(workers: parts) { part in walk.run(part: part) }
    }

    /// The newest point of `key` found by scanning its points, as a query would.
    private func latestByScan(_ key: SeriesKey) throws(StrataError) -> LatestPoint? {
        var newest = NewestPoint()
        guard let type = try scan(device: key.device, metric: key.metric, from: .min, to: .max, into: &newest)?.type,
              let time = newest.time else { return nil }
        return LatestPoint(series: key, timestamp: time, value: Value(bits: newest.bits, type: type))
    }
}

/// Keeps the last point a scan delivers (scans deliver in time order).
private struct NewestPoint: PointConsumer {
    var time: Int64?
    var bits: UInt64 = 0

    mutating func consume(time: Int64, bits: UInt64) {
        self.time = time
        self.bits = bits
    }
}

/// The segments' part of ``Store/latest(of:)``: newest segment first, each
/// segment's last chunks offered for the device groups of one part of the
/// request, a segment skipped whole when every series of the part already
/// has a point at or after its last. Parts cover disjoint groups, so their
/// offers touch disjoint candidates and they can run on separate threads.
private struct LatestSegmentWalk: @unchecked Sendable {
    let segments: [SegmentFile]
    let names: SortedSeriesNames
    let cutoffs: [Int64]
    let deletions: GroupTombstones
    /// Writes through pointers that stay valid while the walk runs (inside `withSink`).
    let sink: LatestCandidates.Sink
    let parts: Int

    /// The device groups of part `part`: consecutive groups holding about an equal share of the series.
    func groups(of part: Int) -> Range<Int> {
        func firstGroup(atPosition target: Int) -> Int {
            var low = 0, high = names.groupCount
            while low < high {
                let middle = (low + high) / 2
                if names.positions(ofGroup: middle).lowerBound < target { low = middle + 1 } else { high = middle }
            }
            return low
        }
        let start = part == 0 ? 0 : firstGroup(atPosition: names.count * part / parts)
        let end = part == parts - 1 ? names.groupCount : firstGroup(atPosition: names.count * (part + 1) / parts)
        return start..<max(start, end)
    }

    func run(part: Int) {
        let groups = groups(of: part)
        guard !groups.isEmpty else { return }
        let positions = names.positions(ofGroup: groups.lowerBound).lowerBound..<names.positions(ofGroup: groups.upperBound - 1).upperBound
        var scratch = LastChunkScratch()
        var settled = sink.settled(positions: positions, repeats: names.repeatsPrevious)
        for segment in segments {
            // A fleet reporting steadily has its newest points in the head and the newest
            // segment: the older segments are skipped whole.
            guard let bounds = segment.timeBounds else { continue }
            if let settled, bounds.last <= settled { continue }
            segment.visitLastChunks(of: names, groups: groups, scratch: &scratch, found: { position, chunk in
                sink.note(position, chunk.type)
                let group = Int(names.groupOf[position])
                guard chunk.maxTime >= cutoffs[group] else { return }
                if !deletions.isEmpty && deletions.mayHide(chunk.maxTime, of: names.key(at: position), group: group, in: segment) {
                    sink.markScan(position)
                } else {
                    sink.offer(position, time: chunk.maxTime, bits: chunk.lastBits)
                }
            }, damaged: { group in
                for position in names.positions(ofGroup: group) { sink.markScan(position) }
            })
            settled = sink.settled(positions: positions, repeats: names.repeatsPrevious)
        }
    }
}

/// The heads' part of ``Store/latest(of:)`` for a request about as large as
/// the heads: each head series mapped to its request position by its number
/// (see ``LatestRequestMemo``). With several parts there is one head, and
/// part `k` takes the `k`-th share of its slots.
private struct LatestHeadWalk: @unchecked Sendable {
    let heads: [Head]
    let registry: SeriesRegistry
    let names: SortedSeriesNames
    let cutoffs: [Int64]
    /// Every number of the heads mapped: a position, or negative when not requested.
    let positionOfNumber: [Int32]
    /// Writes through pointers that stay valid while the walk runs (inside `withSink`).
    let sink: LatestCandidates.Sink
    let parts: Int

    func run(part: Int) {
        for head in heads {
            let slots = head.seriesCount * part / parts..<head.seriesCount * (part + 1) / parts
            for slot in slots {
                // A retired number's points were deleted; its key has a new number now.
                let number = Int(head.slotNumbers[slot])
                if number < registry.isRetired.count && registry.isRetired[number] { continue }
                let position = Int(positionOfNumber[number])
                guard position >= 0 else { continue }
                sink.offer(position, head.slotTypes[slot], head.latest(atSlot: slot), from: cutoffs[Int(names.groupOf[position])])
            }
        }
    }
}

/// Fills the answers of ``Store/latest(of:)`` from the candidates, part `k`
/// of `parts` taking the `k`-th share of the request's sorted positions
/// (whose answers go to distinct indices of the caller's order).
private struct LatestAnswerFilling: @unchecked Sendable {
    let series: [SeriesKey]
    let names: SortedSeriesNames
    let candidates: LatestCandidates
    /// The uninitialized answers, in the caller's order; every index is initialized by exactly one part.
    let answers: UnsafeMutableBufferPointer<LatestPoint?>
    let parts: Int

    /// Initializes the part's answers; returns its positions the index cannot answer, for a scan.
    func run(part: Int) -> [Int] {
        var scans: [Int] = []
        let positions = names.count * part / parts..<names.count * (part + 1) / parts
        guard !positions.isEmpty else { return scans }
        // A repeated key answers as the first of its run (the heads offered to that one only).
        var first = positions.lowerBound
        while first > 0 && names.repeatsPrevious[first] { first -= 1 }
        for position in positions {
            if !names.repeatsPrevious[position] { first = position }
            let index = Int(names.original[position])
            var answer: LatestPoint? = nil
            if candidates.needsScan(first) {
                scans.append(position)
            } else if let (time, value) = candidates.point(first) {
                answer = LatestPoint(series: series[index], timestamp: time, value: value)
            }
            (answers.baseAddress! + index).initialize(to: answer)
        }
        return scans
    }
}
