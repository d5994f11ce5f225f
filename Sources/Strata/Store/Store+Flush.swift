import StrataCodecs

extension Store {
    /// Writes the head into a new segment now rather than waiting for the
    /// background thread: encoded, written to a temporary file, fsynced,
    /// linked into place and the directory fsynced; then the log files it
    /// covered are deleted. Does nothing when the head is empty.
    public func flush() throws(StrataError) {
        try checkWritable()
        try flushHead(closing: false)
    }

    /// Freezes the head, writes it into the next segment and publishes it.
    /// With `closing`, the store is marked closed in the same step that takes
    /// the head, so no append can slip in between and be left behind.
    func flushHead(closing: Bool) throws(StrataError) {
        try flushGate.withLock { scratch throws(StrataError) in try flushHeadHoldingGate(closing: closing, scratch: &scratch) }
    }

    /// ``flushHead(closing:)`` for a caller that holds `flushGate`, which
    /// guards `scratch`.
    func flushHeadHoldingGate(closing: Bool, scratch: inout FlushScratch) throws(StrataError) {
        let frozen = try state.withLock { state throws(StrataError) -> (Head, UInt64, [String])? in
            if state.isClosed {
                if closing { return nil }
                throw StrataError(.closed, "the store is closed", path: directory)
            }
            guard !state.head.isEmpty else {
                if closing { state.isClosed = true }
                return nil
            }
            // The log files written so far hold exactly this head (and any head whose
            // flush failed, restored into it): they go once its segment is published.
            let covered = try log?.rotate(closing: closing) ?? []
            if closing { state.isClosed = true }
            let head = state.head
            // The last flushed head's buffers, already touched: no page faults to refill them.
            var next = state.spareHead.take() ?? Head()
            next.removeAll()
            state.head = next
            state.headStartedAt = nil
            state.flushing.append(head)
            defer { state.nextSequence += 1 }
            return (head, state.nextSequence, covered)
        }
        guard let (head, sequence, covered) = frozen else { return }
        let started = monotonicNanoseconds()
        var notDurable: StrataError?
        do throws(StrataError) {
            let segment = try writeSegment(head, sequence: sequence, scratch: &scratch)
            do throws(StrataError) {
                let coveredThrough = covered.compactMap { path in
                    WALFormat.number(ofFileName: path.split(separator: "/").last.map(String.init) ?? path)
                }.max()
                notDurable = try publish({ manifest in
                    manifest.segments.append(.init(sequence: sequence, rank: segment.rank, level: segment.level))
                    if let coveredThrough { manifest.logCoveredThrough = max(manifest.logCoveredThrough, coveredThrough) }
                }, then: { state in
                    state.segments.append(segment)
                    state.spareHead = state.flushing.removeFirst()
                    state.backgroundError = nil
                })
            } catch {
                segment.markObsolete()
                throw error
            }
            // Until the new manifest is durable, the old one may come back: keep its log files.
            if notDurable == nil { log?.removeFiles(covered) }
            let nanoseconds = monotonicNanoseconds() - started
            metrics.flushes.increment()
            metrics.flushDuration.recordNanoseconds(nanoseconds)
            metrics.segmentBytesWritten.increment(by: Int64(segment.byteCount))
            metrics.segments.record(state.withLock { $0.segments.count })
            logger.info("flushed the head into a segment", metadata: [
                "segment": "\(segment.path)", "points": "\(head.pointCount)", "bytes": "\(segment.byteCount)",
                "milliseconds": "\(nanoseconds / 1_000_000)",
            ])
        } catch {
            logger.error("flush failed; the points stay in the head", metadata: ["error": "\(error)"])
            // Put the points back in front of anything appended since, so nothing is lost
            // and the write order (hence last-write-wins) is kept. A failed close leaves
            // the store open so the caller can retry.
            state.withLock { state in
                state.flushing.removeFirst()
                var restored = head
                restored.append(contentsOf: state.head)
                state.head = restored
                state.headStartedAt = state.headStartedAt ?? monotonicMilliseconds()
                if closing { state.isClosed = false }
            }
            throw error
        }
        // The segment is published and the points are in it; the caller learns the disk is failing.
        if let notDurable { throw notDurable }
    }

    private func writeSegment(_ head: Head, sequence: UInt64, scratch: inout FlushScratch) throws(StrataError) -> SegmentFile {
        scratch.runs.deal(head)
        // Slots in the names' byte order, then grouped by device: no name is hashed,
        // and canonically equivalent names stay apart (String == would merge them).
        let order = scratch.order.slots(of: head)
        let runs = scratch.runs
        var writer = SegmentWriter(
            pointsPerChunk: configuration.pointsPerChunk, compression: configuration.flushCompression, provenance: .flushed(sequence: sequence))
        runs.withColumns { times, bits in
            var device: String? = nil
            var series: [SeriesSpans] = []
            for slot in order {
                let key = head.slotKeys[slot]
                if let current = device, !UTF8Order.equal(current, key.device) {
                    writer.append(device: current, series: series)
                    series.removeAll(keepingCapacity: true)
                }
                device = key.device
                let run = runs.starts[slot]..<(runs.starts[slot] + runs.counts[slot])
                series.append(SeriesSpans(
                    metric: key.metric, type: head.slotTypes[slot],
                    timestamps: UnsafeBufferPointer(rebasing: times[run]), bits: UnsafeBufferPointer(rebasing: bits[run])))
            }
            if let device { writer.append(device: device, series: series) }
        }
        let image = writer.finish()
        let path = segmentsDirectory + "/" + SegmentFormat.fileName(sequence: sequence)
        do throws(Errno) {
            try FileSystem.writeFileAtomically(path, directory: segmentsDirectory, contents: image)
        } catch {
            throw .io(error, "writing segment", path: path)
        }
        return try SegmentFile(path: path, sequence: sequence, rank: sequence, level: 0)
    }
}
