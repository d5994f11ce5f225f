import StrataCodecs

extension SegmentFile {
    /// The points of `device`/`metric` with timestamps in `[start, end)`, or
    /// nil when the segment does not hold the series.
    ///
    /// Only chunks whose time bounds overlap the range are decoded, each
    /// after its checksum is verified.
    func read(device name: String, metric metricName: String, from start: Int64, to end: Int64) throws(StrataError) -> (ValueType, SeriesColumns)? {
        guard let (type, chunks) = try chunks(device: name, metric: metricName, from: start, to: end) else { return nil }
        return (type, try read(chunks, type: type, from: start, to: end))
    }

    /// The points of `chunks` (of one series, in time order) with timestamps in `[start, end)`.
    func read(_ chunks: [SeriesChunk], type: ValueType, from start: Int64, to end: Int64) throws(StrataError) -> SeriesColumns {
        guard let firstChunk = chunks.first, let lastChunk = chunks.last else { return SeriesColumns() }

        // Decode every chunk straight into the result's storage.
        let total = chunks.reduce(0) { $0 + $1.time.count }
        var timestamps = [Int64](repeating: 0, count: total)
        var bits = [UInt64](repeating: 0, count: total)
        var failure: StrataError?
        timestamps.withUnsafeMutableBufferPointer { times in
            bits.withUnsafeMutableBufferPointer { values in
                var position = 0
                for chunk in chunks {
                    let range = position..<(position + chunk.time.count)
                    do throws(StrataError) {
                        try decode(chunk, type: type, into: UnsafeMutableBufferPointer(rebasing: times[range]),
                                   UnsafeMutableBufferPointer(rebasing: values[range]))
                    } catch {
                        failure = error
                        return
                    }
                    position = range.upperBound
                }
            }
        }
        if let failure { throw failure }

        let columns = SeriesColumns(timestamps: timestamps, bits: bits)
        // Only the first and last chunks can reach outside the range.
        if firstChunk.time.minTime < start || (end != .max && lastChunk.time.maxTime >= end) {
            return columns.slice(from: start, to: end)
        }
        return columns
    }

    /// The payload bytes of a chunk in the segment's mapped `bytes`, after checking its checksum.
    func payload(of location: ChunkLocation, in bytes: UnsafeRawBufferPointer, what: String) throws(StrataError) -> UnsafeRawBufferPointer {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[location.offset..<(location.offset + location.length)])
        guard CRC32C.checksum(payload) == location.checksum else {
            throw StrataError(.corruptFile, "\(what) fails its checksum; run `strata inspect --segment` to see the damaged chunk", path: path, offset: location.offset)
        }
        return payload
    }
}
