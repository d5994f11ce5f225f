/// Per requested series (a position of ``SortedSeriesNames``), the newest
/// point its sources offered so far, the value types they hold it with, and
/// whether the index alone cannot answer. Sources are offered newest first
/// (the heads, newest first, then segments from the highest rank down), so
/// of equal timestamps the first offer wins, as a query's merge lets the
/// newer write win.
struct LatestCandidates {
    /// Flag bits.
    static let found: UInt8 = 1
    static let holdsFloat: UInt8 = 2
    static let holdsInteger: UInt8 = 4
    /// A deletion may hide a candidate point, or an index entry is damaged:
    /// the series is answered by a scan.
    static let needsScan: UInt8 = 8

    private var times: [Int64]
    private var bits: [UInt64]
    private var flags: [UInt8]

    init(count: Int) {
        times = [Int64](repeating: 0, count: count)
        bits = [UInt64](repeating: 0, count: count)
        flags = [UInt8](repeating: 0, count: count)
    }

    /// Calls `body` with a ``Sink`` that writes into the candidates in place
    /// (no uniqueness check of the arrays per offer).
    mutating func withSink(_ body: (Sink) -> Void) {
        guard !flags.isEmpty else { return }
        times.withUnsafeMutableBufferPointer { times in
            bits.withUnsafeMutableBufferPointer { bits in
                flags.withUnsafeMutableBufferPointer { flags in
                    body(Sink(times: times.baseAddress!, bits: bits.baseAddress!, flags: flags.baseAddress!))
                }
            }
        }
    }

    /// Offers points to the candidates, through pointers valid during ``withSink(_:)`` only.
    struct Sink {
        let times: UnsafeMutablePointer<Int64>
        let bits: UnsafeMutablePointer<UInt64>
        let flags: UnsafeMutablePointer<UInt8>

        /// Records that a source holds the series with `type` values
        /// (whether or not any of its points is visible: the type decides
        /// which sources a query merges).
        @inline(__always)
        func note(_ position: Int, _ type: ValueType) {
            flags[position] |= type == .float64 ? LatestCandidates.holdsFloat : LatestCandidates.holdsInteger
        }

        /// Offers a visible point of a source older than every source offered before.
        @inline(__always)
        func offer(_ position: Int, time: Int64, bits value: UInt64) {
            if flags[position] & LatestCandidates.found == 0 || time > times[position] {
                times[position] = time
                bits[position] = value
                flags[position] |= LatestCandidates.found
            }
        }

        /// Offers a head's newest point of the series (nil when it holds none visible), held with
        /// `type` values, if at or after `cutoff` (retention's first kept timestamp).
        @inline(__always)
        func offer(_ position: Int, _ type: ValueType, _ point: (time: Int64, bits: UInt64)?, from cutoff: Int64) {
            note(position, type)
            guard let point, point.time >= cutoff else { return }
            offer(position, time: point.time, bits: point.bits)
        }

        func markScan(_ position: Int) {
            flags[position] |= LatestCandidates.needsScan
        }

        /// The oldest candidate among the series still answered from the
        /// index (the first of each run of repeats), or nil when one of them
        /// has none yet. An older source whose points all lie at or before it
        /// can change no answer: each series has a newer source's point at or
        /// after them, which wins a tie.
        func settled(positions: Range<Int>, repeats: [Bool]) -> Int64? {
            var oldest = Int64.max
            for position in positions where !repeats[position] {
                let flag = flags[position]
                if flag & LatestCandidates.needsScan != 0 { continue }
                if flag & LatestCandidates.found == 0 { return nil }
                oldest = min(oldest, times[position])
            }
            return oldest
        }
    }

    /// True when the index cannot answer for `position`: a scan must. Sources
    /// holding the series with both types (it was deleted and written again
    /// with the other type) count too: a query merges those of one type only.
    func needsScan(_ position: Int) -> Bool {
        let flag = flags[position]
        return flag & Self.needsScan != 0 || flag & (Self.holdsFloat | Self.holdsInteger) == Self.holdsFloat | Self.holdsInteger
    }

    /// The answer for `position` when ``needsScan(_:)`` is false: the newest point, or nil.
    func point(_ position: Int) -> (time: Int64, value: Value)? {
        let flag = flags[position]
        guard flag & Self.found != 0 else { return nil }
        return (times[position], Value(bits: bits[position], type: flag & Self.holdsInteger != 0 ? .int64 : .float64))
    }
}
