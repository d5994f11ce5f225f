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
        try LakeStateReader(bytes, path: path, magic: magic, version: version).read { reader throws(StrataError) in
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
        try LakeStateReader(bytes, path: path, magic: magic, version: version).read { reader throws(StrataError) in
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
/// number, the version and the trailing CRC-32C first; every failure is a
/// `.corruptFile` error naming the file and the offset.
struct LakeStateReader {
    private let bytes: [UInt8]
    private let path: String
    private let magic: [UInt8]
    private let version: UInt16
    private(set) var offset = 0

    init(_ bytes: [UInt8], path: String, magic: [UInt8], version: UInt16) {
        (self.bytes, self.path, self.magic, self.version) = (bytes, path, magic, version)
    }

    func corrupt(_ reason: String) -> StrataError {
        StrataError(.corruptFile, "sync state: " + reason, path: path, offset: offset)
    }

    /// Checks the frame, then runs `body` over the fields; the fields must end where the checksum begins.
    func read<Result>(_ body: (inout LakeStateReader) throws(StrataError) -> Result) throws(StrataError) -> Result {
        guard bytes.count >= magic.count + 2 + 4, bytes.starts(with: magic) else {
            throw corrupt("not a Strata sync file (bad magic number)")
        }
        let stored = UInt32(bytes[bytes.count - 4]) | UInt32(bytes[bytes.count - 3]) << 8 | UInt32(bytes[bytes.count - 2]) << 16 | UInt32(bytes[bytes.count - 1]) << 24
        guard stored == bytes.withUnsafeBytes({ CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }) else {
            throw StrataError(.corruptFile, "sync state fails its checksum", path: path, offset: bytes.count - 4)
        }
        var reader = self
        reader.offset = magic.count
        let found = UInt16(bytes[reader.offset]) | UInt16(bytes[reader.offset + 1]) << 8
        guard found == version else {
            throw StrataError(.unsupportedVersion, "sync state format version \(found); this build reads \(version)", path: path, offset: reader.offset)
        }
        reader.offset += 2
        let result = try body(&reader)
        guard reader.offset == bytes.count - 4 else { throw reader.corrupt("\(bytes.count - 4 - reader.offset) unexpected bytes before the checksum") }
        return result
    }

    private var end: Int { bytes.count - 4 }

    mutating func byte() throws(StrataError) -> UInt8 {
        guard offset < end else { throw corrupt("truncated") }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func uint64() throws(StrataError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(try byte()) << UInt64(shift) }
        return value
    }

    mutating func varUInt() throws(StrataError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, shift < 63 || next <= 1 else { throw corrupt("a number is too long") }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func varInt() throws(StrataError) -> Int64 {
        let zigzag = try varUInt()
        return Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
    }

    /// A count of items, each at least one byte: never more than the bytes left.
    mutating func count() throws(StrataError) -> Int {
        let value = try varUInt()
        guard value <= UInt64(end - offset) else { throw corrupt("a count of \(value) passes the end of the file") }
        return Int(value)
    }

    mutating func string() throws(StrataError) -> String {
        let length = try count()
        let slice = bytes[offset..<(offset + length)]
        guard let text = String(validating: slice, as: UTF8.self) else { throw corrupt("a name is not UTF-8") }
        offset += length
        return text
    }

    mutating func identity() throws(StrataError) -> StoreIdentity {
        guard end - offset >= 32, let identity = StoreIdentity(hex: String(decoding: bytes[offset..<(offset + 32)], as: UTF8.self)) else {
            throw corrupt("the store identity is not 32 hex digits")
        }
        offset += 32
        return identity
    }
}
