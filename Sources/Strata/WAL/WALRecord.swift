import StrataCodecs

/// One log record being built: the frame's bytes are reserved at the front
/// so the record goes to the file in a single write.
///
/// ```
/// length  <u32>   payload bytes
/// ~length <u32>   bitwise complement of length
/// crc32c  <u32>   over type and payload
/// type    <u8>
/// payload
/// ```
struct WALRecord {
    private(set) var bytes: [UInt8]

    /// A `batch` record holding `batch`, as versions 1 and 2 wrote (tests build old logs with it).
    init(batch: WriteBatch) {
        var writer = ByteWriter(capacity: WALFormat.recordHeaderSize + 16 + batch.seriesCount * 32 + batch.count * 20)
        writer.writeBytes(repeatElement(0, count: WALFormat.recordHeaderSize - 1))
        writer.writeUInt8(WALFormat.RecordType.batch.rawValue)
        WALBatchEncoding.encode(batch, into: &writer)
        bytes = writer.bytes
    }

    /// A `rows` record: one row per position of the three columns.
    init(numbers: UnsafeBufferPointer<UInt32>, timestamps: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        bytes = WALRowsEncoding.encode(numbers: numbers, timestamps: timestamps, bits: bits, prefix: WALFormat.recordHeaderSize)
        bytes[WALFormat.recordHeaderSize - 1] = WALFormat.RecordType.rows.rawValue
    }

    /// A `series` record defining `definitions`.
    init(definitions: [WALSeriesEncoding.Definition]) {
        var writer = ByteWriter(capacity: WALFormat.recordHeaderSize + 8 + definitions.count * 40)
        writer.writeBytes(repeatElement(0, count: WALFormat.recordHeaderSize - 1))
        writer.writeUInt8(WALFormat.RecordType.series.rawValue)
        WALSeriesEncoding.encode(definitions, into: &writer)
        bytes = writer.bytes
    }

    /// The end record of a file closed for good: `records` records come
    /// before it, and it starts at byte `offset` of the file. Already sealed.
    init(endOfFileAfter records: Int, at offset: Int) {
        var writer = ByteWriter(capacity: WALFormat.endRecordSize)
        writer.writeBytes(repeatElement(0, count: WALFormat.recordHeaderSize - 1))
        writer.writeUInt8(WALFormat.RecordType.end.rawValue)
        writer.writeUInt64(UInt64(records))
        writer.writeUInt64(UInt64(offset))
        bytes = writer.bytes
        seal()
    }

    /// Fills in length, its complement and the checksum.
    mutating func seal() {
        let payloadLength = UInt32(bytes.count - WALFormat.recordHeaderSize)
        let checksum = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[12...])) }
        withUnsafeBytes(of: payloadLength.littleEndian) { for i in 0..<4 { bytes[i] = $0[i] } }
        withUnsafeBytes(of: (~payloadLength).littleEndian) { for i in 0..<4 { bytes[4 + i] = $0[i] } }
        withUnsafeBytes(of: checksum.littleEndian) { for i in 0..<4 { bytes[8 + i] = $0[i] } }
    }

    /// Reads the end record payload: records before it and its own offset.
    static func decodeEnd(_ payload: UnsafeRawBufferPointer) -> (records: UInt64, offset: UInt64)? {
        guard payload.count == WALFormat.endPayloadSize else { return nil }
        return (UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}
