import StrataCodecs

/// One log record being built: the frame's bytes are reserved at the front
/// so the record goes to the file in a single write.
///
/// ```
/// length <u32>   payload bytes
/// crc32c <u32>   over type and payload
/// type   <u8>
/// payload
/// ```
struct WALRecord {
    private(set) var bytes: [UInt8]

    /// A record holding `batch`.
    init(batch: WriteBatch) {
        var writer = ByteWriter(capacity: WALFormat.recordHeaderSize + 16 + batch.seriesCount * 32 + batch.count * 20)
        writer.writeBytes(repeatElement(0, count: WALFormat.recordHeaderSize - 1))
        writer.writeUInt8(WALFormat.RecordType.batch.rawValue)
        WALBatchEncoding.encode(batch, into: &writer)
        bytes = writer.bytes
    }

    /// Fills in length and checksum.
    mutating func seal() {
        let payloadLength = bytes.count - WALFormat.recordHeaderSize
        let checksum = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        withUnsafeBytes(of: UInt32(payloadLength).littleEndian) { for i in 0..<4 { bytes[i] = $0[i] } }
        withUnsafeBytes(of: checksum.littleEndian) { for i in 0..<4 { bytes[4 + i] = $0[i] } }
    }
}
