import Glibc

/// Reusable memory for merging a compaction's inputs one device at a time:
/// the inputs' points of one series decoded back to back (its sources), and
/// the device's merged series back to back, ready to encode as spans.
///
/// Once the buffers have grown to the largest device, merging allocates
/// nothing per series: decoding into fresh arrays, and copying them again
/// to merge and to stage for the writer, cost a compaction more than
/// decoding and encoding did.
struct MergeBuffers {
    private struct Source {
        var range: Range<Int>
        var type: ValueType
    }

    private var sourceTimes: [Int64] = []
    private var sourceBits: [UInt64] = []
    private var sources: [Source] = []
    private var sourcePoints = 0
    /// Per source, its next point while merging.
    private var cursors: [Int] = []
    private var deviceTimes: [Int64] = []
    private var deviceBits: [UInt64] = []
    private var devicePoints = 0

    /// Forgets the previous device's merged series.
    mutating func startDevice() { devicePoints = 0 }

    /// Forgets the previous series' sources.
    mutating func startSeries() {
        sources.removeAll(keepingCapacity: true)
        sourcePoints = 0
    }

    /// Decodes `chunks` of `input` (one series, in time order) as the next
    /// source, newer than those added before, leaving out the points `hidden`
    /// hides. Returns the points decoded and those left out.
    mutating func addSource(
        _ chunks: [SeriesChunk], type: ValueType, from input: SegmentFile, hiding hidden: HiddenRanges
    ) throws(StrataError) -> (read: Int, dropped: Int) {
        let total = chunks.reduce(0) { $0 + $1.time.count }
        let start = sourcePoints
        Self.grow(&sourceTimes, &sourceBits, to: start + total)
        var failure: StrataError?
        var kept = total
        sourceTimes.withUnsafeMutableBufferPointer { times in
            sourceBits.withUnsafeMutableBufferPointer { bits in
                var position = start
                for chunk in chunks {
                    let range = position..<(position + chunk.time.count)
                    do throws(StrataError) {
                        try input.decode(chunk, type: type, into: UnsafeMutableBufferPointer(rebasing: times[range]),
                                         UnsafeMutableBufferPointer(rebasing: bits[range]))
                    } catch {
                        failure = error
                        return
                    }
                    position = range.upperBound
                }
                guard !hidden.isEmpty else { return }
                var write = start
                for read in start..<(start + total) where !hidden.hides(times[read]) {
                    times[write] = times[read]
                    bits[write] = bits[read]
                    write += 1
                }
                kept = write - start
            }
        }
        if let failure { throw failure }
        sources.append(Source(range: start..<(start + kept), type: type))
        sourcePoints = start + kept
        return (total, total - kept)
    }

    /// Merges the series' sources holding `type` values into the device
    /// buffers and returns where the result lies: sorted by time, and for a
    /// timestamp several sources hold, the value of the newest.
    ///
    /// Each step finds the source with the smallest next timestamp and the
    /// smallest among the others, then copies the whole run of the first that
    /// lies below the second: sources that do not overlap (flushes of
    /// successive minutes) cost a few steps each, not a comparison per point.
    mutating func mergeSources(ofType type: ValueType) -> Range<Int> {
        sources.removeAll { $0.type != type || $0.range.isEmpty }
        let total = sources.reduce(0) { $0 + $1.range.count }
        let start = devicePoints
        Self.grow(&deviceTimes, &deviceBits, to: start + total)
        cursors.removeAll(keepingCapacity: true)
        for source in sources { cursors.append(source.range.lowerBound) }
        var end = start
        let sources = self.sources
        sourceTimes.withUnsafeBufferPointer { inTimes in
            sourceBits.withUnsafeBufferPointer { inBits in
                deviceTimes.withUnsafeMutableBufferPointer { outTimes in
                    deviceBits.withUnsafeMutableBufferPointer { outBits in
                        cursors.withUnsafeMutableBufferPointer { cursors in
                            while true {
                                // The newest source wins ties: scanning oldest first, `<=` keeps the later one.
                                var best = -1
                                var bestTime = Int64.max
                                for source in sources.indices where cursors[source] < sources[source].range.upperBound {
                                    let time = inTimes[cursors[source]]
                                    if best < 0 || time <= bestTime {
                                        best = source
                                        bestTime = time
                                    }
                                }
                                guard best >= 0 else { break }
                                // The smallest next timestamp of the other sources; ones at `bestTime` lose that point.
                                var limit = Int64.max
                                var bounded = false
                                for source in sources.indices where source != best && cursors[source] < sources[source].range.upperBound {
                                    var time = inTimes[cursors[source]]
                                    if time == bestTime {
                                        cursors[source] += 1
                                        guard cursors[source] < sources[source].range.upperBound else { continue }
                                        time = inTimes[cursors[source]]
                                    }
                                    if !bounded || time < limit {
                                        limit = time
                                        bounded = true
                                    }
                                }
                                // Copy the run of `best` below `limit` (at least its point at `bestTime`).
                                let from = cursors[best]
                                var to = from + 1
                                let upper = sources[best].range.upperBound
                                while to < upper && (!bounded || inTimes[to] < limit) { to += 1 }
                                let count = to - from
                                outTimes.baseAddress!.advanced(by: end).update(from: inTimes.baseAddress!.advanced(by: from), count: count)
                                outBits.baseAddress!.advanced(by: end).update(from: inBits.baseAddress!.advanced(by: from), count: count)
                                end += count
                                cursors[best] = to
                            }
                        }
                    }
                }
            }
        }
        devicePoints = end
        return start..<end
    }

    /// The device's merged series so far, for `body`.
    func withDevice<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<Int64>, UnsafeBufferPointer<UInt64>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let count = devicePoints
        return try deviceTimes.withUnsafeBufferPointer { (times) throws(Failure) -> Result in
            try deviceBits.withUnsafeBufferPointer { (bits) throws(Failure) -> Result in
                try body(UnsafeBufferPointer(rebasing: times[0..<count]), UnsafeBufferPointer(rebasing: bits[0..<count]))
            }
        }
    }

    /// Makes both columns hold at least `count` elements, keeping what they hold.
    private static func grow(_ times: inout [Int64], _ bits: inout [UInt64], to count: Int) {
        guard times.count < count else { return }
        let added = max(count, times.count * 2) - times.count
        times.append(contentsOf: repeatElement(0, count: added))
        bits.append(contentsOf: repeatElement(0, count: added))
    }
}
