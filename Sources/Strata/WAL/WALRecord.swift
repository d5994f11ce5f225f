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

    /// A `rows` record: one row per position of the three columns; a
    /// `compressedRows` record instead when LZ4 saves at least an eighth of
    /// the payload (fleet batches shrink to about a third: neighbouring
    /// devices repeat one another's sensor readings and timestamps).
    init(numbers: UnsafeBufferPointer<UInt32>, timestamps: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        let header = WALFormat.recordHeaderSize
        bytes = WALRowsEncoding.encode(numbers: numbers, timestamps: timestamps, bits: bits, prefix: header)
        bytes[header - 1] = WALFormat.RecordType.rows.rawValue
        guard numbers.count >= WALFormat.compressionMinimumRows else { return }
        let payloadLength = bytes.count - header
        let compressed = bytes.withUnsafeBytes { record in
            try? BlockCompression.lz4.compress(UnsafeRawBufferPointer(rebasing: record[header...]))
        }
        guard let compressed, compressed.count + 10 <= payloadLength - payloadLength / 8 else { return }
        var writer = ByteWriter(capacity: header + 10 + compressed.count)
        writer.writeBytes(repeatElement(0, count: header - 1))
        writer.writeUInt8(WALFormat.RecordType.compressedRows.rawValue)
        writer.writeVarUInt(UInt64(payloadLength))
        writer.writeBytes(compressed)
        bytes = writer.bytes
    }

    /// The `rows` payload inside a `compressedRows` payload.
    static func decompressRows(_ payload: UnsafeRawBufferPointer) throws(WALBatchEncoding.Malformed) -> [UInt8] {
        var reader = ByteReader(payload)
        let length: UInt64
        do { length = try reader.readVarUInt() } catch {
            throw WALBatchEncoding.Malformed(reason: "compressed rows without their length")
        }
        // One LZ4 block expands at most 255 times; a larger claim is damage, not a reason to allocate it.
        guard length <= UInt64(WALFormat.maximumPayload), length <= UInt64(reader.remaining) * 255 + 16 else {
            throw WALBatchEncoding.Malformed(reason: "implausible uncompressed length \(length)")
        }
        let block = UnsafeRawBufferPointer(rebasing: payload[(payload.count - reader.remaining)...])
        do throws(CompressionError) {
            return try BlockCompression.lz4.decompress(block, originalSize: Int(length))
        } catch {
            throw WALBatchEncoding.Malformed(reason: error.description)
        }
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
        let checksumOffset = WALFormat.recordChecksumOffset(version: WALFormat.version)
        let checksum = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(checksumOffset + 4)...])) }
        withUnsafeBytes(of: payloadLength.littleEndian) { for i in 0..<4 { bytes[WALFormat.recordLengthOffset + i] = $0[i] } }
        withUnsafeBytes(of: (~payloadLength).littleEndian) { for i in 0..<4 { bytes[WALFormat.recordComplementOffset + i] = $0[i] } }
        withUnsafeBytes(of: checksum.littleEndian) { for i in 0..<4 { bytes[checksumOffset + i] = $0[i] } }
    }

    /// Reads the end record payload: records before it and its own offset.
    static func decodeEnd(_ payload: UnsafeRawBufferPointer) -> (records: UInt64, offset: UInt64)? {
        guard payload.count == WALFormat.endPayloadSize else { return nil }
        return (UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}
