import StrataCodecs

/// Reads and writes the manifest file, `STORE/MANIFEST`.
///
/// The file is replaced whole: written to `MANIFEST.tmp`, fsynced, renamed
/// over `MANIFEST`, and the directory fsynced. After a crash the manifest is
/// the old one or the new one, never a mix. The byte layout is in the DocC
/// article "Manifest format".
///
/// Every manifest is written twice: `MANIFEST`, then the same bytes to
/// `MANIFEST.mirror`. The store reads only `MANIFEST`; the mirror is what
/// `StoreVerifier.repair` restores it from when it is damaged or missing
/// (the mirror is the same generation, or one older after a crash between
/// the two writes, which the next writer to open the store rewrites).
enum ManifestFile {
    static let fileName = "MANIFEST"
    static let mirrorFileName = "MANIFEST.mirror"
    /// First eight bytes: "STRATMAN".
    static let magic: [UInt8] = Array("STRATMAN".utf8)
    static let currentVersion: UInt16 = 1
    /// magic(8) version(2) flags(2) bodyLength(4)
    static let headerSize = 16

    static func path(in store: String) -> String { store + "/" + fileName }
    static func mirrorPath(in store: String) -> String { store + "/" + mirrorFileName }

    static func encode(_ manifest: Manifest) -> [UInt8] {
        var body = ByteWriter(capacity: 64 + manifest.segments.count * 12)
        body.writeVarUInt(manifest.generation)
        body.writeVarUInt(manifest.nextSequence)
        body.writeVarUInt(manifest.logCoveredThrough)
        body.writeVarUInt(UInt64(manifest.segments.count))
        for segment in manifest.segments.sorted(by: { $0.sequence < $1.sequence }) {
            body.writeVarUInt(segment.sequence)
            body.writeVarUInt(segment.rank)
            body.writeUInt8(segment.level)
            body.writeVarUInt(segment.deletionsApplied)
        }
        body.writeVarUInt(UInt64(manifest.tombstones.count))
        for tombstone in manifest.tombstones {
            body.writeVarUInt(tombstone.rank)
            body.writeString(tombstone.device)
            body.writeUInt8(tombstone.metric == nil ? 0 : 1)
            if let metric = tombstone.metric { body.writeString(metric) }
            body.writeVarInt(tombstone.from)
            body.writeVarInt(tombstone.to)
        }
        var file = ByteWriter(capacity: headerSize + body.count + 4)
        file.writeBytes(magic)
        file.writeUInt16(currentVersion)
        file.writeUInt16(0)
        file.writeUInt32(UInt32(body.count))
        file.writeBytes(body.bytes)
        file.writeUInt32(file.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return file.bytes
    }

    /// Decodes a manifest; errors name `path` and the offset of the problem.
    static func decode(_ bytes: [UInt8], path: String) throws(StrataError) -> Manifest {
        let corrupt = { (offset: Int, reason: String) in StrataError(.corruptFile, reason, path: path, offset: offset) }
        guard bytes.count >= headerSize + 4 else {
            throw corrupt(0, "manifest is \(bytes.count) bytes, shorter than its header and checksum")
        }
        guard bytes.prefix(8).elementsEqual(magic) else { throw corrupt(0, "not a Strata manifest (bad magic number)") }
        // withUnsafeBytes rethrows untyped errors: carry the StrataError out as a value.
        return try bytes.withUnsafeBytes { raw in
            Result { () throws(StrataError) -> Manifest in try decode(raw, path: path) }
        }.get()
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, path: String) throws(StrataError) -> Manifest {
        let corrupt = { (offset: Int, reason: String) in StrataError(.corruptFile, reason, path: path, offset: offset) }
        let bytes = raw
        do {
            guard bytes.count >= headerSize + 4 else { throw corrupt(0, "manifest is shorter than its header") }
            var header = ByteReader(raw, offset: 8)
            let version: UInt16, bodyLength: Int
            do throws(ByteReader.OutOfBounds) {
                version = try header.readUInt16()
                _ = try header.readUInt16()
                bodyLength = Int(try header.readUInt32())
            } catch { throw corrupt(8, "truncated manifest header") }
            guard version == currentVersion else {
                if version > currentVersion {
                    throw StrataError(.unsupportedVersion, "manifest format version \(version) is newer than this build reads (\(currentVersion)); upgrade Strata", path: path, offset: 8)
                }
                throw corrupt(8, "manifest format version \(version) does not exist")
            }
            guard bodyLength == bytes.count - headerSize - 4 else {
                throw corrupt(12, "manifest says its body is \(bodyLength) bytes but the file holds \(bytes.count - headerSize - 4): truncated or damaged")
            }
            let stored = UInt32(bytes[bytes.count - 4]) | UInt32(bytes[bytes.count - 3]) << 8
                | UInt32(bytes[bytes.count - 2]) << 16 | UInt32(bytes[bytes.count - 1]) << 24
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(bytes.count - 4)])) == stored else {
                throw corrupt(bytes.count - 4, "manifest fails its checksum")
            }
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<(bytes.count - 4)]), offset: headerSize)
            var manifest = Manifest()
            do {
                manifest.generation = try reader.readVarUInt()
                manifest.nextSequence = try reader.readVarUInt()
                manifest.logCoveredThrough = try reader.readVarUInt()
                let segmentCount = try reader.readVarUInt()
                guard segmentCount <= UInt64(bodyLength) else { throw corrupt(headerSize, "manifest lists \(segmentCount) segments in \(bodyLength) bytes") }
                for index in 0..<segmentCount {
                    let entryOffset = reader.offset
                    let sequence = try reader.readVarUInt()
                    // The writer lists each segment once, by rising sequence (encode sorts them):
                    // anything else is damage, and a segment listed twice would be read twice.
                    if index > 0, let previous = manifest.segments.last?.sequence, sequence <= previous {
                        throw corrupt(entryOffset, "manifest lists segment \(sequence) after segment \(previous): out of order or listed twice")
                    }
                    let rank = try reader.readVarUInt()
                    let level = try reader.readUInt8()
                    let applied = try reader.readVarUInt()
                    manifest.segments.append(.init(sequence: sequence, rank: rank, level: level, deletionsApplied: applied))
                }
                let tombstoneCount = try reader.readVarUInt()
                guard tombstoneCount <= UInt64(bodyLength) else { throw corrupt(headerSize, "manifest lists \(tombstoneCount) deletions in \(bodyLength) bytes") }
                for _ in 0..<tombstoneCount {
                    let rank = try reader.readVarUInt()
                    let device = try reader.readString()
                    let hasMetric = try reader.readUInt8()
                    let metric = hasMetric == 1 ? try reader.readString() : nil
                    let from = try reader.readVarInt()
                    let to = try reader.readVarInt()
                    var tombstone = Tombstone(device: device, metric: metric, from: from, to: to)
                    tombstone.rank = rank
                    manifest.tombstones.append(tombstone)
                }
            } catch let error as StrataError {
                throw error
            } catch {
                throw corrupt(headerSize, "manifest body is truncated")
            }
            return manifest
        }
    }

    /// The manifest of the store at `store`, or nil when it has none (a store
    /// written before manifests existed, or one whose manifest was removed:
    /// the caller decides which, from the store's format).
    static func read(in store: String) throws(StrataError) -> Manifest? {
        try read(path(in: store))
    }

    /// The mirror copy of the manifest, or nil when there is none.
    static func readMirror(in store: String) throws(StrataError) -> Manifest? {
        try read(mirrorPath(in: store))
    }

    private static func read(_ file: String) throws(StrataError) -> Manifest? {
        guard let bytes = try readBytes(file) else { return nil }
        return try decode(bytes, path: file)
    }

    /// The bytes of `file`, or nil when it does not exist.
    static func readBytes(_ file: String) throws(StrataError) -> [UInt8]? {
        guard FileSystem.fileExists(file) else { return nil }
        do throws(Errno) {
            return try FileSystem.readFile(file)
        } catch {
            if error == .noSuchFile { return nil }
            throw .io(error, "reading the manifest", path: file)
        }
    }

    /// Replaces the store's manifest atomically and durably, then its mirror.
    ///
    /// The manifest alone decides: once it is replaced the change is
    /// published, so a failure to write the mirror is not thrown. The stale
    /// mirror is removed instead (a repair must never restore an older
    /// generation over a newer one), and the next writer to open the store
    /// writes it again.
    ///
    /// - Returns: nil when the new manifest is in place and durable; an error
    ///   when it is in place (every reader and the next open see it) but the
    ///   directory sync that makes the rename durable failed, so a power loss
    ///   may still bring back the old one. The caller must then keep whatever
    ///   the old manifest needs (log files, replaced segments).
    /// - Throws: when the manifest was not replaced: the old one stands.
    @discardableResult
    static func write(_ manifest: Manifest, in store: String) throws(StrataError) -> StrataError? {
        let bytes = encode(manifest)
        let file = path(in: store)
        do throws(Errno) {
            try FileSystem.replaceFileWithoutDirectorySync(file, contents: bytes)
        } catch {
            throw .io(error, "writing the manifest", path: file)
        }
        do throws(Errno) {
            try FileSystem.syncDirectory(store)
        } catch {
            return .io(error, "making the new manifest durable (it is in place, but a power loss may undo it)", path: file)
        }
        writeMirror(bytes, in: store)
        return nil
    }

    /// ``write(_:in:)`` for callers with nothing to keep for the old
    /// manifest: a manifest that is not durable is an error like any other.
    static func writeDurably(_ manifest: Manifest, in store: String) throws(StrataError) {
        if let notDurable = try write(manifest, in: store) { throw notDurable }
    }

    /// Writes `bytes` (an encoded manifest) as the mirror; on failure removes
    /// the mirror. Returns true when the mirror now holds `bytes`.
    @discardableResult
    static func writeMirror(_ bytes: [UInt8], in store: String) -> Bool {
        let mirror = mirrorPath(in: store)
        do throws(Errno) {
            try FileSystem.replaceFileAtomically(mirror, directory: store, contents: bytes)
            return true
        } catch {
            _ = try? FileSystem.removeFile(mirror)
            return false
        }
    }

    /// Makes the mirror equal to the manifest when it is missing, damaged or
    /// one generation behind (a crash between the two writes, or a mirror
    /// write that failed). Called by the writer when it opens the store.
    static func healMirror(in store: String) {
        guard let bytes = try? readBytes(path(in: store)), (try? decode(bytes, path: path(in: store))) != nil else { return }
        if let mirror = try? readBytes(mirrorPath(in: store)), mirror == bytes { return }
        writeMirror(bytes, in: store)
    }
}