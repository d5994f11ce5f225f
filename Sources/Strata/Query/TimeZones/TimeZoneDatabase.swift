/// Finds a zone's TZif file in the system's IANA time zone database: the
/// directory `$TZDIR` names when it is set (as the C library does), else
/// `/usr/share/zoneinfo`, where Debian's `tzdata` package installs it.
///
/// Identifiers are checked before the file system is touched, following the
/// tz project's naming rules (the `theory.html` file of the tz distribution):
/// names are relative, `/`-separated components of ASCII letters, digits,
/// `.`, `-`, `_` and `+`, no component is empty, `.` or `..`, and none begins
/// with `-`. So a name cannot leave the database directory.
enum TimeZoneDatabase {
    /// The default database directory: `$TZDIR` if set and not empty, else `/usr/share/zoneinfo`.
    static var defaultDirectory: String {
        if let directory = Environment.value("TZDIR"), !directory.isEmpty { return directory }
        return "/usr/share/zoneinfo"
    }

    /// The longest identifier accepted (the longest IANA names are about 30 bytes).
    static let maximumIdentifierLength = 255
    /// The most a TZif file may hold; real ones are a few kilobytes.
    static let maximumFileSize = 1 << 20

    /// Reads the TZif file of zone `identifier` from `directory`.
    static func contents(of identifier: String, in directory: String) throws(StrataError) -> TZifParser.Contents {
        try validate(identifier)
        let path = directory.hasSuffix("/") ? directory + identifier : directory + "/" + identifier
        let shown = quoted(identifier)
        guard FileSystem.isDirectory(directory) else {
            throw StrataError(.invalidArgument, "cannot look up time zone \(shown): the time zone database \(directory) does not exist; install Debian's tzdata package (apt-get install tzdata) or set TZDIR to a zoneinfo directory", path: directory)
        }
        if FileSystem.isDirectory(path) {
            throw StrataError(.invalidArgument, "time zone \(shown) is a directory of the time zone database, not a zone; name a zone in it, such as Europe/Berlin", path: path)
        }
        guard FileSystem.fileExists(path) else {
            throw StrataError(.invalidArgument, "unknown time zone \(shown): the time zone database \(directory) has no such zone", path: path)
        }
        if FileSystem.isSpecialFile(path) {
            throw StrataError(.invalidArgument, "time zone \(shown) names a device, pipe or socket, not a TZif file", path: path)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readSmallFile(path, limit: maximumFileSize + 1)
        } catch {
            throw StrataError(.io, "reading time zone \(shown) failed: \(error)", path: path)
        }
        guard bytes.count <= maximumFileSize else {
            throw StrataError(.invalidArgument, "time zone \(shown) is larger than \(maximumFileSize) bytes, not a TZif file", path: path)
        }
        do {
            return try TZifParser.parse(bytes, path: path)
        } catch {
            throw StrataError(error.code, "time zone \(shown): " + error.message, path: error.path, offset: error.offset)
        }
    }

    /// Throws `.invalidArgument`, naming `identifier` and the problem, unless it is a well-formed zone name.
    static func validate(_ identifier: String) throws(StrataError) {
        let shown = quoted(identifier)
        func invalid(_ problem: String) -> StrataError {
            StrataError(.invalidArgument, "invalid time zone identifier \(shown): \(problem); expected an IANA name such as Europe/Berlin or UTC")
        }
        let bytes = Array(identifier.utf8)
        guard !bytes.isEmpty else { throw invalid("it is empty") }
        guard bytes.count <= maximumIdentifierLength else { throw invalid("it is \(bytes.count) bytes long, the limit is \(maximumIdentifierLength)") }
        if let bad = bytes.first(where: { !isNameByte($0) && $0 != UInt8(ascii: "/") }) {
            if bad == 0 {
                throw invalid("it contains a NUL byte")
            } else if bad < 0x20 || bad == 0x7F {
                throw invalid("it contains a control character")
            } else if bad >= 0x80 {
                throw invalid("it contains a non-ASCII character")
            } else {
                throw invalid("it contains '\(Unicode.Scalar(bad))'; names use only ASCII letters, digits, '.', '-', '_', '+' and '/'")
            }
        }
        guard bytes[0] != UInt8(ascii: "/") else { throw invalid("it is an absolute path; give a name inside the time zone database") }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard !component.isEmpty else { throw invalid("it has an empty component (a '/' at the end or doubled)") }
            guard !component.elementsEqual(".".utf8), !component.elementsEqual("..".utf8) else {
                throw invalid("it has a '.' or '..' component; names cannot leave the time zone database")
            }
            guard component.first != UInt8(ascii: "-") else { throw invalid("a component begins with '-'") }
        }
    }

    /// Whether `byte` may appear in a zone name (besides `/`, handled by the caller).
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "+"):
            return true
        default:
            return false
        }
    }

    /// `identifier` in quotes with control characters escaped, cut to 80 characters.
    static func quoted(_ identifier: String) -> String {
        let characters = identifier.unicodeScalars
        let cut = characters.count > 80 ? String(String.UnicodeScalarView(characters.prefix(80))) + "..." : identifier
        return cut.debugDescription
    }
}
