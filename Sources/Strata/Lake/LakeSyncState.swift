import StrataCodecs

/// What a lake remembers of one store's last sync, in
/// `DEST/_strata_sync/ID.state` (ID: the store's ``StoreIdentity``): enough
/// to find what changed in the store since, from its index alone, and the
/// partitions the store's sync owns. Format in `LakeSyncFormat.md`.
struct LakeSyncState: Sendable, Equatable {
    /// A live segment as the last sync saw it.
    struct SeenSegment: Sendable, Equatable {
        var sequence: UInt64
        var first: Int64
        var last: Int64
        /// Points stored in it.
        var points: UInt64
    }

    /// A partition the store's sync wrote, and what its file holds.
    struct OwnedPartition: Sendable, Equatable {
        var partition: LakePartition
        var digest: PartitionDigest
    }

    static let magic: [UInt8] = Array("STRASYNC".utf8)
    static let version: UInt16 = 1

    var identity: StoreIdentity
    var granularity: LakeGranularity
    /// The `--device` selection, as written; empty for every device.
    var selection: String
    /// The store's next sequence number when the sync took its snapshot:
    /// segments and deletions numbered from it on came later.
    var watermark: UInt64
    /// The time span of the points that were in the store's head (not yet in
    /// a segment) at the snapshot, if any.
    var headSpan: ClosedRange<Int64>?
    /// The live segments holding points at the snapshot.
    var segments: [SeenSegment]
    /// Sorted by partition.
    var partitions: [OwnedPartition]

    func encoded() -> [UInt8] {
        var body = ByteWriter(capacity: 64 + partitions.count * 32 + segments.count * 12)
        body.writeBytes(Self.magic)
        body.writeUInt16(Self.version)
        body.writeBytes(Array(identity.hex.utf8))
        body.writeUInt8(granularity.code)
        body.writeString(selection)
        body.writeVarUInt(watermark)
        if let headSpan {
            body.writeUInt8(1)
            body.writeVarInt(headSpan.lowerBound)
            body.writeVarInt(headSpan.upperBound)
        } else {
            body.writeUInt8(0)
        }
        body.writeVarUInt(UInt64(segments.count))
        for segment in segments {
            body.writeVarUInt(segment.sequence)
            body.writeVarInt(segment.first)
            body.writeVarInt(segment.last)
            body.writeVarUInt(segment.points)
        }
        body.writeVarUInt(UInt64(partitions.count))
        for owned in partitions {
            body.writeString(owned.partition.device)
            body.writeVarInt(owned.partition.first)
            body.writeVarUInt(owned.digest.rows)
            body.writeUInt64(owned.digest.hash)
        }
        body.writeUInt32(CRC32C.checksum(body.bytes))
        return body.bytes
    }

    /// Reads a state file's bytes; errors name `path` and the offset.
    static func decode(_ bytes: [UInt8], path: String) throws(StrataError) -> LakeSyncState {
        try LakeStateReader.read(bytes, path: path, magic: magic, version: version) { reader throws(StrataError) in
            let identity = try reader.identity()
            guard let granularity = LakeGranularity(code: try reader.byte()) else {
                throw reader.corrupt("unknown partition granularity")
            }
            let selection = try reader.string()
            let watermark = try reader.varUInt()
            var headSpan: ClosedRange<Int64>?
            if try reader.byte() == 1 {
                let low = try reader.varInt(), high = try reader.varInt()
                guard low <= high else { throw reader.corrupt("head span ends before it starts") }
                headSpan = low...high
            }
            var segments: [SeenSegment] = []
            for _ in 0..<(try reader.count()) {
                segments.append(SeenSegment(sequence: try reader.varUInt(), first: try reader.varInt(), last: try reader.varInt(), points: try reader.varUInt()))
            }
            var partitions: [OwnedPartition] = []
            for _ in 0..<(try reader.count()) {
                let partition = LakePartition(device: try reader.string(), first: try reader.varInt())
                partitions.append(OwnedPartition(partition: partition, digest: PartitionDigest(rows: try reader.varUInt(), hash: try reader.uint64())))
            }
            return LakeSyncState(identity: identity, granularity: granularity, selection: selection, watermark: watermark,
                                 headSpan: headSpan, segments: segments, partitions: partitions)
        }
    }
}

/// The partitions a sync may be writing or removing, in
/// `DEST/_strata_sync/ID.pending`: runs of partitions per device, written
/// (durably) before the first partition file changes and removed once the
/// new state is in place. A sync that finds it knows the previous one
/// stopped half way, and checks every partition in those runs again, files
/// found on disk included, whatever the state says of them.
struct LakeSyncPending: Sendable, Equatable {
    struct Run: Sendable, Equatable {
        var device: String
        var first: Int64
        var last: Int64
    }

    static let magic: [UInt8] = Array("STRAPEND".utf8)
    static let version: UInt16 = 1

    var identity: StoreIdentity
    var runs: [Run]

    func encoded() -> [UInt8] {
        var body = ByteWriter(capacity: 48 + runs.count * 24)
        body.writeBytes(Self.magic)
        body.writeUInt16(Self.version)
        body.writeBytes(Array(identity.hex.utf8))
        body.writeVarUInt(UInt64(runs.count))
        for run in runs {
            body.writeString(run.device)
            body.writeVarInt(run.first)
            body.writeVarInt(run.last)
        }
        body.writeUInt32(CRC32C.checksum(body.bytes))
        return body.bytes
    }

    static func decode(_ bytes: [UInt8], path: String) throws(StrataError) -> LakeSyncPending {
        try LakeStateReader.read(bytes, path: path, magic: magic, version: version) { reader throws(StrataError) in
            let identity = try reader.identity()
            var runs: [Run] = []
            for _ in 0..<(try reader.count()) {
                let run = Run(device: try reader.string(), first: try reader.varInt(), last: try reader.varInt())
                guard run.first <= run.last else { throw reader.corrupt("a run of partitions ends before it starts") }
                runs.append(run)
            }
            return LakeSyncPending(identity: identity, runs: runs)
        }
    }
}

/// Reads the fields of a sync state or pending file: checks the magic
/// number, the version and the trailing CRC-32C first, then reads the fields
/// with ``ByteReader`` over the bytes before the checksum; every failure is
/// a `.corruptFile` error naming the file and the offset.
struct LakeStateReader {
    private var reader: ByteReader
    private let path: String

    private init(_ reader: ByteReader, path: String) {
        self.reader = reader
        self.path = path
    }

    func corrupt(_ reason: String, at offset: Int? = nil) -> StrataError {
        StrataError(.corruptFile, "sync state: " + reason, path: path, offset: offset ?? reader.offset)
    }

    /// Checks the frame of `bytes`, then runs `body` over the fields, which must end where the checksum begins.
    static func read<Result>(
        _ bytes: [UInt8], path: String, magic: [UInt8], version: UInt16, _ body: (inout LakeStateReader) throws(StrataError) -> Result
    ) throws(StrataError) -> Result {
        let outcome = bytes.withUnsafeBytes { raw -> Swift.Result<Result, StrataError> in
            do throws(StrataError) {
                guard raw.count >= magic.count + 2 + 4, raw.starts(with: magic) else {
                    throw StrataError(.corruptFile, "sync state: not a Strata sync file (bad magic number)", path: path, offset: 0)
                }
                let fields = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)])
                guard raw.loadUnaligned(fromByteOffset: fields.count, as: UInt32.self).littleEndian == CRC32C.checksum(fields) else {
                    throw StrataError(.corruptFile, "sync state fails its checksum", path: path, offset: fields.count)
                }
                let found = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: magic.count, as: UInt16.self))
                guard found == version else {
                    throw StrataError(.unsupportedVersion, "sync state format version \(found); this build reads \(version)", path: path, offset: magic.count)
                }
                var state = LakeStateReader(ByteReader(fields, offset: magic.count + 2), path: path)
                let result = try body(&state)
                guard state.reader.remaining == 0 else { throw state.corrupt("\(state.reader.remaining) unexpected bytes before the checksum") }
                return .success(result)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Runs one read, a read past the fields being a truncation.
    private mutating func field<Value>(_ read: (inout ByteReader) throws(ByteReader.OutOfBounds) -> Value) throws(StrataError) -> Value {
        do throws(ByteReader.OutOfBounds) {
            return try read(&reader)
        } catch {
            throw corrupt("truncated", at: error.offset)
        }
    }

    mutating func byte() throws(StrataError) -> UInt8 { try field { reader throws(ByteReader.OutOfBounds) in try reader.readUInt8() } }
    mutating func uint64() throws(StrataError) -> UInt64 { try field { reader throws(ByteReader.OutOfBounds) in try reader.readUInt64() } }
    mutating func varUInt() throws(StrataError) -> UInt64 { try field { reader throws(ByteReader.OutOfBounds) in try reader.readVarUInt() } }
    mutating func varInt() throws(StrataError) -> Int64 { try field { reader throws(ByteReader.OutOfBounds) in try reader.readVarInt() } }

    /// A count of items, each at least one byte: never more than the bytes left.
    mutating func count() throws(StrataError) -> Int {
        let value = try varUInt()
        guard value <= UInt64(reader.remaining) else { throw corrupt("a count of \(value) passes the end of the file") }
        return Int(value)
    }

    /// A length-prefixed name, which must be UTF-8 (never repaired).
    mutating func string() throws(StrataError) -> String {
        let start = reader.offset
        let raw = try field { reader throws(ByteReader.OutOfBounds) in try reader.readLengthPrefixedBytes() }
        guard let text = String(validating: raw, as: UTF8.self) else { throw corrupt("a name is not UTF-8", at: start) }
        return text
    }

    mutating func identity() throws(StrataError) -> StoreIdentity {
        let start = reader.offset
        let raw = try field { reader throws(ByteReader.OutOfBounds) in try reader.readBytes(32) }
        guard let identity = StoreIdentity(hex: String(decoding: raw, as: UTF8.self)) else {
            throw corrupt("the store identity is not 32 hex digits", at: start)
        }
        return identity
    }
}
