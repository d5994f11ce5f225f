import StrataCodecs

extension SegmentFile {
    /// The points of `device`/`metric` with timestamps in `[start, end)`, or
    /// nil when the segment does not hold the series.
    ///
    /// Only chunks whose time bounds overlap the range are decoded, each
    /// after its checksum is verified.
    func read(device name: String, metric metricName: String, from start: Int64, to end: Int64) throws(StrataError) -> (ValueType, SeriesColumns)? {
        guard let device = device(named: name), let metric = device.metric(named: metricName) else { return nil }
        let timeChunks = device.groups[metric.group].timeChunks
        // Chunks are in time order and disjoint: find the first whose end reaches `start`.
        var first = 0, high = timeChunks.count
        while first < high {
            let middle = (first + high) / 2
            if timeChunks[middle].maxTime < start { first = middle + 1 } else { high = middle }
        }
        var last = first
        // `end == .max` means no upper bound, so a point at Int64.max is included.
        while last < timeChunks.count && (end == .max || timeChunks[last].minTime < end) { last += 1 }
        guard first < last else { return (metric.type, SeriesColumns()) }

        let total = timeChunks[first..<last].reduce(0) { $0 + $1.count }
        var failure: StrataError?
        var timestamps = [Int64](unsafeUninitializedCapacity: total) { buffer, initialized in
            var position = 0
            for chunk in timeChunks[first..<last] {
                do {
                    let payload = try payload(of: chunk.location, what: "time chunk of \(name)")
                    try TimestampCodec.decode(payload, count: chunk.count, into: UnsafeMutableBufferPointer(rebasing: buffer[position...]))
                } catch let error as StrataError {
                    failure = error; break
                } catch {
                    failure = StrataError(.corruptFile, "time chunk of \(name) does not decode: \(error)", path: path, offset: chunk.location.offset)
                    break
                }
                position += chunk.count
            }
            initialized = failure == nil ? total : 0
        }
        if let failure { throw failure }
        var bits = [UInt64](unsafeUninitializedCapacity: total) { buffer, initialized in
            var position = 0
            for index in first..<last {
                let chunk = metric.chunks[index]
                let count = timeChunks[index].count
                let target = UnsafeMutableBufferPointer(rebasing: buffer[position..<(position + count)])
                do {
                    let payload = try payload(of: chunk.location, what: "chunk of \(name)/\(metricName)")
                    switch metric.type {
                    case .float64:
                        try target.withMemoryRebound(to: Double.self) { try GorillaFloatCodec.decode(payload, count: count, into: $0) }
                    case .int64:
                        try target.withMemoryRebound(to: Int64.self) { try IntegerCodec.decode(payload, count: count, into: $0) }
                    }
                } catch let error as StrataError {
                    failure = error; break
                } catch {
                    failure = StrataError(.corruptFile, "chunk of \(name)/\(metricName) does not decode: \(error)", path: path, offset: chunk.location.offset)
                    break
                }
                position += count
            }
            initialized = failure == nil ? total : 0
        }
        if let failure { throw failure }

        // Only the first and last chunks can reach outside the range.
        if timeChunks[first].minTime < start || (end != .max && timeChunks[last - 1].maxTime >= end) {
            let columns = SeriesColumns(timestamps: timestamps, bits: bits).slice(from: start, to: end)
            timestamps = columns.timestamps
            bits = columns.bits
        }
        return (metric.type, SeriesColumns(timestamps: timestamps, bits: bits))
    }

    /// The payload bytes of a chunk, after checking its checksum.
    func payload(of location: ChunkLocation, what: String) throws(StrataError) -> UnsafeRawBufferPointer {
        let payload = UnsafeRawBufferPointer(rebasing: region.bytes[location.offset..<(location.offset + location.length)])
        guard CRC32C.checksum(payload) == location.checksum else {
            throw StrataError(.corruptFile, "\(what) fails its checksum; run `strata inspect --segment` to see the damaged chunk", path: path, offset: location.offset)
        }
        return payload
    }
}
