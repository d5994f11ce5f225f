/// A store's identity: 128 random bits written once into `STRATA.id`, so
/// that a lake fed by several stores (``LakeSync``) tells them apart
/// whatever their paths, and a backup restored in place is recognised as
/// the same store.
///
/// The file holds 32 lowercase hex digits and a line feed. A store made by
/// this version gets it at creation; an older store gets it the first time
/// something asks (``Store/identity()``), even through a read-only open:
/// the file is written under a temporary name and linked into place, which
/// fails rather than replace one another process linked first, so two
/// processes asking at once agree on one identity.
public struct StoreIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The file's name in the store directory.
    static let fileName = "STRATA.id"
    /// The identity's 32 hex digits.
    public let hex: String

    /// The identity's text: its 32 hex digits.
    public var description: String { hex }

    init?(hex: String) {
        let digits = hex.utf8
        guard digits.count == 32, digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        self.hex = hex
    }

    /// A new random identity.
    static func random() -> StoreIdentity {
        var generator = SystemRandomNumberGenerator()
        let text = [generator.next(), generator.next()].map { (word: UInt64) -> String in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
        return StoreIdentity(hex: text)!
    }

    /// The identity recorded in the store at `directory`, written first when
    /// it has none.
    ///
    /// - Throws: `.corruptFile` when `STRATA.id` exists and does not hold an
    ///   identity; `.io` when it cannot be read or written.
    static func readOrCreate(in directory: String) throws(StrataError) -> StoreIdentity {
        let path = directory + "/" + fileName
        if let found = try read(path) { return found }
        let identity = random()
        // A unique temporary name: two processes creating at once must not share one.
        let temporary = path + "." + identity.hex.prefix(8) + ".tmp"
        do throws(Errno) {
            try FileSystem.writeFileAtomically(temporary, directory: directory, contents: Array((identity.hex + "\n").utf8))
            defer { _ = try? FileSystem.removeFile(temporary) }
            do throws(Errno) {
                try FileSystem.link(temporary, to: path)
            } catch where error == .fileExists {
                // Another process linked its identity first: that one stands.
            }
            try FileSystem.syncDirectory(directory)
        } catch {
            throw .io(error, "recording the store's identity", path: path)
        }
        guard let settled = try read(path) else {
            throw StrataError(.io, "the store's identity vanished right after it was written", path: path)
        }
        return settled
    }

    /// Gives the store copy at `destination` the identity of the store at
    /// `source`, if it has one: a lake the store syncs to (``LakeSync``)
    /// then knows a backup restored in its place as the same store.
    static func copy(from source: String, to destination: String) throws(Errno) {
        guard let identity = try? read(source + "/" + fileName) else { return }
        let copy = destination + "/" + fileName
        _ = try? FileSystem.removeFile(copy)
        try FileSystem.writeFileAtomically(copy, directory: destination, contents: Array((identity.hex + "\n").utf8))
    }

    /// The identity in `path`, nil when there is no such file.
    static func read(_ path: String) throws(StrataError) -> StoreIdentity? {
        let bytes: [UInt8]
        do throws(Errno) {
            bytes = try FileSystem.readSmallFile(path, limit: 64)
        } catch where error == .noSuchFile {
            return nil
        } catch {
            throw .io(error, "reading the store's identity", path: path)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n"), let identity = StoreIdentity(hex: String(text.dropLast())) else {
            throw StrataError(.corruptFile, "does not hold a store identity (32 lowercase hex digits and a line feed)", path: path, offset: 0)
        }
        return identity
    }
}

extension Store {
    /// The store's identity (see ``StoreIdentity``), recorded in the store
    /// the first time it is asked for if the store has none yet.
    ///
    /// - Throws: `.corruptFile` when `STRATA.id` is damaged, `.io` when it
    ///   cannot be read or written.
    public func identity() throws(StrataError) -> StoreIdentity {
        try StoreIdentity.readOrCreate(in: directory)
    }
}
