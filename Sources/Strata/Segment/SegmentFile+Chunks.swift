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
    func chunks(device name: String, metric metricName: String, from start: Int64, to end: Int64) -> (ValueType, [SeriesChunk])? {
        guard let device = device(named: name), let metric = device.metric(named: metricName) else { return nil }
        let times = device.groups[metric.group].timeChunks
        var result: [SeriesChunk] = []
        for index in times.indices where times[index].maxTime >= start && (end == .max || times[index].minTime < end) {
            result.append(SeriesChunk(time: times[index], value: metric.chunks[index]))
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
        let timePayload = try payload(of: chunk.time.location, what: "time chunk")
        let valuePayload = try payload(of: chunk.value.location, what: "value chunk")
        var failure: CodecError?
        timestamps.withUnsafeMutableBufferPointer { out in
            do throws(CodecError) { try TimestampCodec.decode(timePayload, count: count, into: out) } catch { failure = error }
        }
        if failure == nil {
            bits.withUnsafeMutableBufferPointer { out in
                do throws(CodecError) {
                    switch type {
                    case .float64: try out.withMemoryRebound(to: Double.self) { (values) throws(CodecError) in try GorillaFloatCodec.decode(valuePayload, count: count, into: values) }
                    case .int64: try out.withMemoryRebound(to: Int64.self) { (values) throws(CodecError) in try IntegerCodec.decode(valuePayload, count: count, into: values) }
                    }
                } catch { failure = error }
            }
        }
        if let failure {
            throw StrataError(.corruptFile, "chunk does not decode: \(failure)", path: path, offset: chunk.value.location.offset)
        }
    }
}
