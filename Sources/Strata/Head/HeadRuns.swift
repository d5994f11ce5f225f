/// A head's points dealt into one run per series, each run sorted by time
/// with one value per timestamp (the last write): the form a flush encodes.
///
/// Every run lies in two flat columns, series after series in slot order, so
/// dealing a head is one pass over its rows with no allocation per series or
/// per point; only a series whose points arrived out of order is sorted, in
/// place. A flush keeps one `HeadRuns` and deals each head into it, reusing
/// the columns.
struct HeadRuns {
    private(set) var timestamps: [Int64] = []
    private(set) var bits: [UInt64] = []
    /// Per slot: where its run starts in the columns.
    private(set) var starts: [Int] = []
    /// Per slot: its points once sorted (fewer than appended when a timestamp was written twice).
    private(set) var counts: [Int] = []

    /// Replaces the runs with those of `head`.
    mutating func deal(_ head: Head) {
        let total = head.pointCount
        starts.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        starts.reserveCapacity(head.seriesCount)
        counts.reserveCapacity(head.seriesCount)
        var offset = 0
        for state in head.slots {
            starts.append(offset)
            counts.append(Int(state.count))
            offset += Int(state.count)
        }
        resize(to: total)
        // Each row goes to the next free place of its series' run: write order within a run.
        var next = starts
        next.withUnsafeMutableBufferPointer { next in
            timestamps.withUnsafeMutableBufferPointer { runTimes in
                bits.withUnsafeMutableBufferPointer { runBits in
                    head.rowSlots.withUnsafeBufferPointer { rowSlots in
                        head.timestamps.withUnsafeBufferPointer { rowTimes in
                            head.bits.withUnsafeBufferPointer { rowBits in
                                for row in 0..<total {
                                    let slot = Int(rowSlots[row])
                                    let place = next[slot]
                                    next[slot] = place &+ 1
                                    runTimes[place] = rowTimes[row]
                                    runBits[place] = rowBits[row]
                                }
                            }
                        }
                    }
                }
            }
        }
        for (slot, state) in head.slots.enumerated() where !state.isStrictlyIncreasing {
            counts[slot] = sortRun(start: starts[slot], count: counts[slot])
        }
    }

    /// Both columns at once, for a caller walking many runs.
    func withColumns<Result>(_ body: (UnsafeBufferPointer<Int64>, UnsafeBufferPointer<UInt64>) -> Result) -> Result {
        timestamps.withUnsafeBufferPointer { times in bits.withUnsafeBufferPointer { values in body(times, values) } }
    }

    /// Sets both columns to `count` elements, keeping their buffers when they are large enough.
    private mutating func resize(to count: Int) {
        if timestamps.count > count {
            timestamps.removeLast(timestamps.count - count)
            bits.removeLast(bits.count - count)
        } else if timestamps.count < count {
            timestamps.append(contentsOf: repeatElement(0, count: count - timestamps.count))
            bits.append(contentsOf: repeatElement(0, count: count - bits.count))
        }
    }

    /// Sorts the run at `start` (in write order) by time, keeping of each
    /// timestamp written more than once its last write; returns the new count.
    private mutating func sortRun(start: Int, count: Int) -> Int {
        timestamps.withUnsafeMutableBufferPointer { times in
            bits.withUnsafeMutableBufferPointer { values in
                LastWriteSort.sort(times: UnsafeMutableBufferPointer(rebasing: times[start..<(start + count)]),
                                   bits: UnsafeMutableBufferPointer(rebasing: values[start..<(start + count)]))
            }
        }
    }
}
