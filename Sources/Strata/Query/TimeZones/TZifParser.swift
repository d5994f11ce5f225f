/// Reads a TZif file (RFC 8536, "The Time Zone Information Format"), the
/// binary form of one zone of the IANA time zone database.
///
/// A file is a 44-byte header (magic `TZif`, a version, six big-endian
/// counts), a data block with 32-bit times, and, from version 2 on, a second
/// header and data block with 64-bit times followed by a footer: a POSIX `TZ`
/// string between newlines. We skip the version 1 block (its times stop in
/// 2038) and read the 64-bit one: transition times, the index of the local
/// time type each transition starts, and the types (UT offset, daylight flag,
/// abbreviation index). The footer rule (``PosixTimeZoneRule``) covers the
/// instants after the last transition. A version 1 file is read from its
/// 32-bit block and has no footer.
///
/// Files with leap-second records (the `right/` zones) are refused: their
/// transition times count leap seconds, Strata's timestamps do not.
/// Everything is checked against the file's length before it is read, so a
/// damaged file gives an error and never a trap.
struct TZifParser {
    /// What a TZif file says, in seconds.
    struct Contents: Sendable {
        /// Transition instants (UTC seconds), strictly increasing.
        var transitions: [Int64] = []
        /// The offset (seconds east of UTC) from each transition on.
        var offsets: [Int64] = []
        /// The offset before the first transition: time type 0's (RFC 8536 section 3.2).
        var initialOffset: Int64 = 0
        /// Every offset any time type has.
        var typeOffsets: [Int64] = []
        /// The footer's rule, or nil for an empty footer or a version 1 file.
        var footer: PosixTimeZoneRule?
    }

    /// The six counts of a header, in file order.
    private struct Counts {
        let isUT, isStandard, leaps, times, types, characters: Int

        /// The length of the data block the counts describe.
        func blockLength(timeSize: Int) -> Int {
            times * timeSize + times + types * 6 + characters + leaps * (timeSize + 4) + isStandard + isUT
        }
    }

    /// Offsets RFC 8536 section 3.2 recommends: more than -25 h, less than 26 h.
    static let offsetRange: ClosedRange<Int64> = -89_999...93_599

    private let bytes: [UInt8]
    private let path: String

    /// Parses the TZif file `bytes`, read from `path` (named in errors).
    static func parse(_ bytes: [UInt8], path: String) throws(StrataError) -> Contents {
        try TZifParser(bytes: bytes, path: path).contents()
    }

    private init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    private func contents() throws(StrataError) -> Contents {
        guard bytes.count >= 4, bytes[0...3].elementsEqual("TZif".utf8) else {
            throw StrataError(.invalidArgument, "not a time zone: the file is not in TZif format (RFC 8536), it does not begin with 'TZif'", path: path)
        }
        let (version, counts) = try header(at: 0)
        let firstBlockEnd = 44 + counts.blockLength(timeSize: 4)
        guard firstBlockEnd <= bytes.count else { throw corrupt("the header's counts describe \(firstBlockEnd) bytes, the file has \(bytes.count)", at: 20) }
        if version == 0 { return try block(at: 44, counts: counts, timeSize: 4) }
        let (secondVersion, secondCounts) = try header(at: firstBlockEnd)
        guard secondVersion == version else { throw corrupt("the second header's version differs from the first's", at: firstBlockEnd + 4) }
        let blockStart = firstBlockEnd + 44
        let blockEnd = blockStart + secondCounts.blockLength(timeSize: 8)
        guard blockEnd <= bytes.count else { throw corrupt("the second header's counts describe \(blockEnd) bytes, the file has \(bytes.count)", at: firstBlockEnd + 20) }
        var contents = try block(at: blockStart, counts: secondCounts, timeSize: 8)
        contents.footer = try footer(at: blockEnd)
        return contents
    }

    /// The header at `offset`: its version (0 for version 1, else the ASCII digit's value) and counts.
    private func header(at offset: Int) throws(StrataError) -> (version: Int, counts: Counts) {
        guard offset + 44 <= bytes.count else { throw corrupt("the file ends inside a 44-byte TZif header", at: offset) }
        guard bytes[offset..<offset + 4].elementsEqual("TZif".utf8) else { throw corrupt("a header does not begin with 'TZif'", at: offset) }
        let versionByte = bytes[offset + 4]
        let version: Int
        switch versionByte {
        case 0: version = 0
        case UInt8(ascii: "2")...UInt8(ascii: "9"): version = Int(versionByte - UInt8(ascii: "0"))
        default: throw corrupt("unknown TZif version byte \(versionByte)", at: offset + 4)
        }
        let count = { (index: Int) in Int(uint32(at: offset + 20 + 4 * index)) }
        let counts = Counts(isUT: count(0), isStandard: count(1), leaps: count(2), times: count(3), types: count(4), characters: count(5))
        guard counts.types >= 1 else { throw corrupt("the file has no local time types", at: offset + 36) }
        guard counts.characters >= 1 else { throw corrupt("the file has no abbreviation characters", at: offset + 40) }
        guard counts.isUT == 0 || counts.isUT == counts.types else { throw corrupt("the UT indicator count is neither 0 nor the type count", at: offset + 20) }
        guard counts.isStandard == 0 || counts.isStandard == counts.types else { throw corrupt("the standard indicator count is neither 0 nor the type count", at: offset + 24) }
        guard counts.leaps == 0 else {
            throw StrataError(.invalidArgument, "the zone has leap-second records (a right/ zone); its times count leap seconds and Strata's do not: use the zone without the right/ prefix", path: path, offset: offset + 28)
        }
        return (version, counts)
    }

    /// The data block at `start`, whose length the caller checked against the file.
    private func block(at start: Int, counts: Counts, timeSize: Int) throws(StrataError) -> Contents {
        var contents = Contents()
        let indexStart = start + counts.times * timeSize
        let typeStart = indexStart + counts.times
        for type in 0..<counts.types {
            let record = typeStart + 6 * type
            let offset = Int64(Int32(bitPattern: uint32(at: record)))
            guard Self.offsetRange.contains(offset) else { throw corrupt("local time type \(type) has an offset of \(offset) seconds, outside -25 h...26 h", at: record) }
            guard bytes[record + 4] <= 1 else { throw corrupt("local time type \(type) has a daylight flag of \(bytes[record + 4])", at: record + 4) }
            guard Int(bytes[record + 5]) < counts.characters else { throw corrupt("local time type \(type) names an abbreviation outside the file's characters", at: record + 5) }
            contents.typeOffsets.append(offset)
        }
        contents.initialOffset = contents.typeOffsets[0]
        contents.transitions.reserveCapacity(counts.times)
        contents.offsets.reserveCapacity(counts.times)
        for index in 0..<counts.times {
            let place = start + index * timeSize
            let time = timeSize == 8 ? Int64(bitPattern: uint64(at: place)) : Int64(Int32(bitPattern: uint32(at: place)))
            if let previous = contents.transitions.last, time <= previous { throw corrupt("transition times are not increasing", at: place) }
            let type = Int(bytes[indexStart + index])
            guard type < counts.types else { throw corrupt("transition \(index) names local time type \(type) of \(counts.types)", at: indexStart + index) }
            contents.transitions.append(time)
            contents.offsets.append(contents.typeOffsets[type])
        }
        return contents
    }

    /// The footer at `start`: a newline, a POSIX TZ string, a newline.
    private func footer(at start: Int) throws(StrataError) -> PosixTimeZoneRule? {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "\n") else { throw corrupt("the footer is missing: no newline after the data", at: start) }
        guard let end = bytes[(start + 1)...].firstIndex(of: UInt8(ascii: "\n")) else { throw corrupt("the footer has no closing newline", at: start) }
        if end == start + 1 { return nil }
        do {
            return try PosixTimeZoneRuleParser.parse(Array(bytes[(start + 1)..<end]))
        } catch {
            throw StrataError(error.code, error.message, path: path, offset: start + 1)
        }
    }

    private func uint32(at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private func uint64(at offset: Int) -> UInt64 {
        bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func corrupt(_ problem: String, at offset: Int) -> StrataError {
        StrataError(.corruptFile, "damaged TZif file: " + problem, path: path, offset: offset)
    }
}
