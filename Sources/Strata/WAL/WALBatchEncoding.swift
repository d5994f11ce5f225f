import StrataCodecs

#if _endian(big)
#error("The WAL batch encoding copies little-endian columns directly; big-endian hosts need byte swapping here")
#endif

/// Turns a ``WriteBatch`` into a WAL record payload and back.
///
/// ```
/// seriesCount <varint>
/// series × { device <string>, metric <string>, valueType <u8> }
/// rowCount <varint>
/// seriesOfRow   rowCount × <u32>
/// timestamps    rowCount × <i64>
/// valueBits     rowCount × <u64>
/// ```
/// The row columns are copied as whole arrays (little-endian), so encoding
/// and replay cost a memory copy per column, not work per point.
enum WALBatchEncoding {
    static func encode(_ batch: WriteBatch, into writer: inout ByteWriter) {
        writer.writeVarUInt(UInt64(batch.seriesCount))
        for (index, key) in batch.keys.enumerated() {
            writer.writeString(key.device)
            writer.writeString(key.metric)
            writer.writeUInt8(batch.types[index].rawValue)
        }
        writer.writeVarUInt(UInt64(batch.count))
        batch.seriesOfRow.withUnsafeBytes { writer.writeBytes($0) }
        batch.timestamps.withUnsafeBytes { writer.writeBytes($0) }
        batch.bits.withUnsafeBytes { writer.writeBytes($0) }
    }

    /// Why a payload could not be decoded.
    struct Malformed: Error { let reason: String }

    static func decode(_ payload: UnsafeRawBufferPointer) throws(Malformed) -> WriteBatch {
        var reader = ByteReader(payload)
        do {
            let seriesCount = try reader.readVarUInt()
            guard seriesCount <= UInt64(reader.remaining) else { throw Malformed(reason: "implausible series count \(seriesCount)") }
            var batch = WriteBatch()
            for _ in 0..<seriesCount {
                let device = try reader.readString()
                let metric = try reader.readString()
                guard let type = ValueType(rawValue: try reader.readUInt8()) else { throw Malformed(reason: "unknown value type") }
                do {
                    _ = try batch.series(device: device, metric: metric, type: type)
                } catch {
                    throw Malformed(reason: error.message)
                }
            }
            let rowCount = try reader.readVarUInt()
            guard rowCount.multipliedReportingOverflow(by: 20).partialValue == UInt64(reader.remaining), rowCount < UInt64(Int.max / 20) else {
                throw Malformed(reason: "\(rowCount) rows do not fill the \(reader.remaining) bytes left")
            }
            let rows = Int(rowCount)
            let seriesColumn = try reader.readBytes(rows * 4)
            let timeColumn = try reader.readBytes(rows * 8)
            let bitsColumn = try reader.readBytes(rows * 8)
            let seriesOfRow = [UInt32](unsafeUninitializedCapacity: rows) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: seriesColumn)
                count = rows
            }
            guard !seriesOfRow.contains(where: { UInt64($0) >= seriesCount }) else {
                throw Malformed(reason: "a row names a series outside the table")
            }
            let timestamps = [Int64](unsafeUninitializedCapacity: rows) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: timeColumn)
                count = rows
            }
            let bits = [UInt64](unsafeUninitializedCapacity: rows) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bitsColumn)
                count = rows
            }
            batch.setRows(seriesOfRow: seriesOfRow, timestamps: timestamps, bits: bits)
            return batch
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(reason: "record ends in the middle of a field")
        }
    }
}
