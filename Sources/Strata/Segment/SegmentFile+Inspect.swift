import StrataCodecs

/// One chunk of a segment, as `strata inspect --segment` shows it.
public struct ChunkDescription: Sendable {
    /// What a chunk stores.
    public enum Column: Sendable, Equatable {
        /// The timestamps shared by the metrics of one column group.
        case time
        /// One metric's values.
        case value(metric: String, type: ValueType)
    }

    public let device: String
    public let column: Column
    /// The column group (shared time column) the chunk belongs to, within its device.
    public let group: Int
    /// Byte offset of the payload in the file.
    public let offset: Int
    /// Payload size in bytes.
    public let byteCount: Int
    /// Name of the encoding (`dod`, `gorilla`, `delta-zigzag`).
    public let codec: String
    public let pointCount: Int
    public let minTime: Int64
    public let maxTime: Int64
    /// For value chunks: smallest and largest value (NaN ignored), sum, first and last value.
    public let minimum: Value?
    public let maximum: Value?
    public let sum: Double?
    public let first: Value?
    public let last: Value?
}

/// A problem found by ``SegmentFile/verifyChunks()``.
public struct ChunkProblem: Sendable, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "offset \(offset): \(message)" }
}

extension SegmentFile {
    /// Every chunk of the segment, device by device, in index order.
    public func chunkDescriptions() -> [ChunkDescription] {
        var result: [ChunkDescription] = []
        for device in devices {
            for (groupIndex, group) in device.groups.enumerated() {
                for chunk in group.timeChunks {
                    result.append(ChunkDescription(
                        device: device.name, column: .time, group: groupIndex,
                        offset: chunk.location.offset, byteCount: chunk.location.length,
                        codec: chunk.location.codec.description, pointCount: chunk.count,
                        minTime: chunk.minTime, maxTime: chunk.maxTime,
                        minimum: nil, maximum: nil, sum: nil, first: nil, last: nil))
                }
            }
            for metric in device.metrics {
                let times = device.groups[metric.group].timeChunks
                for (index, chunk) in metric.chunks.enumerated() {
                    let time = times[index]
                    result.append(ChunkDescription(
                        device: device.name, column: .value(metric: metric.name, type: metric.type), group: metric.group,
                        offset: chunk.location.offset, byteCount: chunk.location.length,
                        codec: chunk.location.codec.description, pointCount: time.count,
                        minTime: time.minTime, maxTime: time.maxTime,
                        minimum: Value(bits: chunk.minBits, type: metric.type),
                        maximum: Value(bits: chunk.maxBits, type: metric.type),
                        sum: chunk.sum,
                        first: Value(bits: chunk.firstBits, type: metric.type),
                        last: Value(bits: chunk.lastBits, type: metric.type)))
                }
            }
        }
        return result
    }

    /// The series in this segment with their types, sorted by device and metric.
    public var series: [(key: SeriesKey, type: ValueType, pointCount: Int)] {
        devices.flatMap { device in
            device.metrics.map { metric in
                (SeriesKey(device: device.name, metric: metric.name), metric.type,
                 device.groups[metric.group].timeChunks.reduce(0) { $0 + $1.count })
            }
        }
    }

    /// Checks every chunk's checksum and that it decodes to its recorded
    /// number of points; returns the problems found (empty when clean).
    public func verifyChunks() -> [ChunkProblem] {
        var problems: [ChunkProblem] = []
        var times = [Int64](repeating: 0, count: 0)
        var values = [UInt64](repeating: 0, count: 0)
        for device in devices {
            for group in device.groups {
                for chunk in group.timeChunks {
                    if times.count < chunk.count { times = [Int64](repeating: 0, count: chunk.count) }
                    do {
                        let payload = try payload(of: chunk.location, what: "time chunk of \(device.name)")
                        try times.withUnsafeMutableBufferPointer { try TimestampCodec.decode(payload, count: chunk.count, into: $0) }
                    } catch {
                        problems.append(ChunkProblem(offset: chunk.location.offset, message: (error as? StrataError)?.message ?? "time chunk of \(device.name) does not decode: \(error)"))
                    }
                }
            }
            for metric in device.metrics {
                let counts = device.groups[metric.group].timeChunks.map(\.count)
                for (index, chunk) in metric.chunks.enumerated() {
                    let count = counts[index]
                    if values.count < count { values = [UInt64](repeating: 0, count: count) }
                    do {
                        let payload = try payload(of: chunk.location, what: "chunk of \(device.name)/\(metric.name)")
                        try values.withUnsafeMutableBufferPointer { buffer in
                            switch metric.type {
                            case .float64: try buffer.withMemoryRebound(to: Double.self) { try GorillaFloatCodec.decode(payload, count: count, into: $0) }
                            case .int64: try buffer.withMemoryRebound(to: Int64.self) { try IntegerCodec.decode(payload, count: count, into: $0) }
                            }
                        }
                    } catch {
                        problems.append(ChunkProblem(offset: chunk.location.offset, message: (error as? StrataError)?.message ?? "chunk of \(device.name)/\(metric.name) does not decode: \(error)"))
                    }
                }
            }
        }
        return problems
    }
}
