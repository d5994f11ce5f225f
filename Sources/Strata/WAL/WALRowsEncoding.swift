import StrataCodecs

#if _endian(big)
#error("The WAL rows encoding copies little-endian value bits directly; big-endian hosts need byte swapping here")
#endif

/// Turns rows that name their series by number into a WAL `rows` record
/// payload and back (see <doc:WriteAheadLogFormat>):
///
/// ```
/// rowCount <varint>
/// rowCount × { numberDelta <zvarint>, timeDelta <zvarint> }
/// valueBits rowCount × <u64>
/// ```
/// Deltas are from the previous row (the first from 0). A fleet batch holds
/// consecutive series at nearly one timestamp, so both deltas usually take
/// one byte and a row costs about 10 bytes instead of 20; fewer bytes to
/// write and fsync is what bounds a durable append.
enum WALRowsEncoding {
    /// Worst case bytes for `rows` rows after the count.
    static func maximumBytes(rows: Int) -> Int { rows * (5 + 10 + 8) }

    /// Encodes the rows after `prefix` zero bytes (a record header to fill in later).
    static func encode(
        numbers: UnsafeBufferPointer<UInt32>, timestamps: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>,
        prefix: Int
    ) -> [UInt8] {
        let rows = numbers.count
        let capacity = prefix + 10 + maximumBytes(rows: rows)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            output.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: prefix)
            var offset = VarInt.write(UInt64(rows), into: output, at: prefix)
            var previousNumber: Int64 = 0
            var previousTime: Int64 = 0
            for row in 0..<rows {
                let number = Int64(numbers[row])
                offset = VarInt.write(ZigZag.encode(number &- previousNumber), into: output, at: offset)
                offset = VarInt.write(ZigZag.encode(timestamps[row] &- previousTime), into: output, at: offset)
                previousNumber = number
                previousTime = timestamps[row]
            }
            let valueBytes = rows * 8
            if valueBytes > 0 {
                (output.baseAddress! + offset).copyMemory(from: bits.baseAddress!, byteCount: valueBytes)
            }
            initialized = offset + valueBytes
        }
    }

    /// Decodes a rows payload; `known` says whether a series number was defined.
    static func decode(
        _ payload: UnsafeRawBufferPointer
    ) throws(WALBatchEncoding.Malformed) -> (numbers: [UInt32], timestamps: [Int64], bits: [UInt64]) {
        var reader = ByteReader(payload)
        do {
            let rowCount = try reader.readVarUInt()
            // Every row takes at least 10 bytes: two one-byte deltas and its value.
            guard rowCount <= UInt64(reader.remaining / 10) else {
                throw WALBatchEncoding.Malformed(reason: "implausible row count \(rowCount)")
            }
            let rows = Int(rowCount)
            var numbers = [UInt32](), timestamps = [Int64]()
            numbers.reserveCapacity(rows)
            timestamps.reserveCapacity(rows)
            var number: Int64 = 0, time: Int64 = 0
            for _ in 0..<rows {
                number &+= ZigZag.decode(try reader.readVarUInt())
                guard number >= 0, number < Int64(SeriesRegistry.capacity) else {
                    throw WALBatchEncoding.Malformed(reason: "series number \(number) out of range")
                }
                time &+= ZigZag.decode(try reader.readVarUInt())
                numbers.append(UInt32(number))
                timestamps.append(time)
            }
            guard reader.remaining == rows * 8 else {
                throw WALBatchEncoding.Malformed(reason: "\(rows) values do not fill the \(reader.remaining) bytes left")
            }
            let valueColumn = try reader.readBytes(rows * 8)
            let bits = [UInt64](unsafeUninitializedCapacity: rows) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: valueColumn)
                count = rows
            }
            return (numbers, timestamps, bits)
        } catch let error as WALBatchEncoding.Malformed {
            throw error
        } catch {
            throw WALBatchEncoding.Malformed(reason: "record ends in the middle of a row")
        }
    }
}

/// Turns series definitions into a WAL `series` record payload and back:
///
/// ```
/// count <varint>
/// count × { number <varint>, device <string>, metric <string>, valueType <u8> }
/// ```
/// A log file defines every series number before the first `rows` record
/// that uses it; numbers mean nothing outside their file.
enum WALSeriesEncoding {
    struct Definition: Equatable {
        var number: UInt32
        var key: SeriesKey
        var type: ValueType
    }

    static func encode(_ definitions: [Definition], into writer: inout ByteWriter) {
        writer.writeVarUInt(UInt64(definitions.count))
        for definition in definitions {
            writer.writeVarUInt(UInt64(definition.number))
            writer.writeString(definition.key.device)
            writer.writeString(definition.key.metric)
            writer.writeUInt8(definition.type.rawValue)
        }
    }

    static func decode(_ payload: UnsafeRawBufferPointer) throws(WALBatchEncoding.Malformed) -> [Definition] {
        var reader = ByteReader(payload)
        do {
            let count = try reader.readVarUInt()
            guard count <= UInt64(reader.remaining) else { throw WALBatchEncoding.Malformed(reason: "implausible definition count \(count)") }
            var definitions: [Definition] = []
            definitions.reserveCapacity(Int(count))
            for _ in 0..<count {
                let number = try reader.readVarUInt()
                guard number < UInt64(SeriesRegistry.capacity) else {
                    throw WALBatchEncoding.Malformed(reason: "series number \(number) out of range")
                }
                let device = try reader.readString()
                let metric = try reader.readString()
                guard let type = ValueType(rawValue: try reader.readUInt8()) else {
                    throw WALBatchEncoding.Malformed(reason: "unknown value type")
                }
                do throws(StrataError) {
                    try SeriesName.validate(device, role: "device")
                    try SeriesName.validate(metric, role: "metric")
                } catch {
                    throw WALBatchEncoding.Malformed(reason: error.message)
                }
                definitions.append(Definition(number: UInt32(number), key: SeriesKey(device: device, metric: metric), type: type))
            }
            guard reader.remaining == 0 else { throw WALBatchEncoding.Malformed(reason: "\(reader.remaining) bytes after the definitions") }
            return definitions
        } catch let error as WALBatchEncoding.Malformed {
            throw error
        } catch {
            throw WALBatchEncoding.Malformed(reason: "record ends in the middle of a definition")
        }
    }
}
