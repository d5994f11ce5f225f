import StrataCodecs

/// One chunk of one series in a segment: its time entry and value entry.
struct SeriesChunk {
    let time: TimeChunkEntry
    let value: ValueChunkEntry

    /// The chunk's statistics, when its entry records all of them (format version 2).
    var statistics: ChunkStatistics? { ChunkStatistics(time: time, value: value) }
}

extension SegmentFile {
    /// The chunks of `device`/`metric` overlapping `[start, end)`, in time
    /// order, and the series' type; nil when the segment does not hold it.
    /// Reads the index only.
    ///
    /// - Throws: `.corruptFile` with the file and the entry's offset when the
    ///   device's index entry is damaged.
    func chunks(device name: String, metric metricName: String, from start: Int64, to end: Int64,
                cachingEntry: Bool = true) throws(StrataError) -> (ValueType, [SeriesChunk])? {
        guard let device = try device(named: name, caching: cachingEntry) else { return nil }
        return chunks(of: device, metric: metricName, from: start, to: end)
    }

    /// The chunks of one metric of a device entry overlapping `[start, end)`,
    /// in time order, and the series' type; nil when the device lacks the metric.
    func chunks(of device: DeviceEntry, metric metricName: String, from start: Int64, to end: Int64) -> (ValueType, [SeriesChunk])? {
        guard let metric = device.metric(named: metricName) else { return nil }
        let times = device.groups[metric.group].timeChunks
        // Chunks are in time order and disjoint: find the first whose end reaches `start`.
        var first = 0, high = times.count
        while first < high {
            let middle = (first + high) / 2
            if times[middle].maxTime < start { first = middle + 1 } else { high = middle }
        }
        var result: [SeriesChunk] = []
        // `end == .max` means no upper bound, so a point at Int64.max is included.
        var index = first
        while index < times.count && (end == .max || times[index].minTime < end) {
            result.append(SeriesChunk(time: times[index], value: metric.chunks[index]))
            index += 1
        }
        return (metric.type, result)
    }

    /// Decodes one chunk into `timestamps` and `bits` (resized to its point count).
    func decode(_ chunk: SeriesChunk, type: ValueType, timestamps: inout [Int64], bits: inout [UInt64]) throws(StrataError) {
        let count = chunk.time.count
        if timestamps.count != count {
            timestamps = [Int64](repeating: 0, count: count)
            bits = [UInt64](repeating: 0, count: count)
        }
        var failure: StrataError?
        timestamps.withUnsafeMutableBufferPointer { times in
            bits.withUnsafeMutableBufferPointer { values in
                do throws(StrataError) { try decode(chunk, type: type, into: times, values) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// Decodes one chunk into the first `chunk.time.count` slots of two buffers,
    /// after checking both payloads' checksums.
    func decode(
        _ chunk: SeriesChunk, type: ValueType, into times: UnsafeMutableBufferPointer<Int64>, _ values: UnsafeMutableBufferPointer<UInt64>
    ) throws(StrataError) {
        try region.withBytes { bytes throws(StrataError) in
            let count = chunk.time.count
            let timeStored = try payload(of: chunk.time.location, in: bytes, what: "time chunk")
            let valueStored = try payload(of: chunk.value.location, in: bytes, what: "value chunk")
            try withEncoded(timeStored, chunk.time.location, what: "time chunk") { (timePayload) throws(StrataError) in
                do throws(CodecError) {
                    if chunk.time.location.codec == .timestampGaps {
                        try TimestampGapCodec.decode(timePayload, count: count, into: times)
                    } else {
                        try TimestampCodec.decode(timePayload, count: count, into: times)
                    }
                } catch {
                    throw StrataError(.corruptFile, "time chunk does not decode: \(error)", path: path, offset: chunk.time.location.offset)
                }
            }
            try withEncoded(valueStored, chunk.value.location, what: "value chunk") { (valuePayload) throws(StrataError) in
                do throws(CodecError) {
                    switch type {
                    case .float64:
                        try values.withMemoryRebound(to: Double.self) { (out) throws(CodecError) in
                            if chunk.value.location.codec == .floatDecimal {
                                try DecimalFloatCodec.decode(valuePayload, count: count, into: out)
                            } else {
                                try GorillaFloatCodec.decode(valuePayload, count: count, into: out)
                            }
                        }
                    case .int64:
                        try values.withMemoryRebound(to: Int64.self) { (out) throws(CodecError) in
                            if chunk.value.location.codec == .intPatched {
                                try PatchedIntegerCodec.decode(valuePayload, count: count, into: out)
                            } else {
                                try IntegerCodec.decode(valuePayload, count: count, into: out)
                            }
                        }
                    }
                } catch {
                    throw StrataError(.corruptFile, "value chunk does not decode: \(error)", path: path, offset: chunk.value.location.offset)
                }
            }
        }
    }

    /// Calls `body` with the codec's bytes of a stored payload: the payload
    /// itself, or its decompressed form.
    func withEncoded(
        _ stored: UnsafeRawBufferPointer, _ location: ChunkLocation, what: String,
        _ body: (UnsafeRawBufferPointer) throws(StrataError) -> Void
    ) throws(StrataError) {
        guard let block = location.compression.block else {
            try body(stored)
            return
        }
        var reader = ByteReader(stored)
        let expanded: [UInt8]
        do {
            let length = try reader.readVarUInt()
            // An encoded chunk never exceeds the codecs' bound for the largest chunk.
            guard length <= UInt64(SegmentFormat.maximumPointsPerChunk * 20 + 64) else {
                throw CompressionError("encoded length \(length) is larger than any chunk")
            }
            expanded = try block.decompress(UnsafeRawBufferPointer(rebasing: stored[reader.offset...]), originalSize: Int(length))
        } catch {
            throw StrataError(.corruptFile, "\(what) does not decompress (\(location.compression.name)): \(error)", path: path, offset: location.offset)
        }
        // withUnsafeBytes rethrows untyped errors: carry the StrataError out as a value.
        let failure = expanded.withUnsafeBytes { bytes -> StrataError? in
            do throws(StrataError) { try body(bytes); return nil } catch { return error }
        }
        if let failure { throw failure }
    }
}
