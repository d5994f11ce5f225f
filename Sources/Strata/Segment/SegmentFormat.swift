import StrataCodecs

/// Constants of the segment file format. The format is described byte by
/// byte in the DocC article "Segment file format"; keep the two in step.
enum SegmentFormat {
    /// First eight bytes of every segment file: "STRATSEG".
    static let headerMagic: [UInt8] = Array("STRATSEG".utf8)
    /// Last eight bytes of every segment file: "STRATIDX".
    static let footerMagic: [UInt8] = Array("STRATIDX".utf8)
    /// The version this code writes. Version 2 added each value chunk's
    /// non-NaN count and sum of squared deviations to its index entry;
    /// version 3 lets a chunk's payload be compressed with LZ4 or zstd (the
    /// two high bits of its codec byte); version 4 lets a Float64 chunk use
    /// the decimal codec, chosen per chunk where it is smaller; version 5 adds
    /// the decimal codec's multiply modes (2 to 4), which decode without
    /// division, lets an Int64 chunk use the patched integer codec (constant,
    /// run-length, or frame-of-reference / delta bit packing with patched
    /// exceptions, chosen per chunk), kept where it is no larger than the
    /// per-block codec, and writes time chunks with the gap codec
    /// (``TimestampGapCodec``); version 6 follows the device entries with a
    /// device directory (one fixed-width record a device giving its entry's
    /// place and checksum, then the device names) and a larger footer, so a
    /// reader opens a segment without reading its entries and checks each
    /// entry when it parses it; version 7 records the segment's provenance
    /// (rank, level, applied deletions, and the segments a compaction
    /// replaced with it) in its footer and a block after the device names, so
    /// a store's manifest can be rebuilt from its segments.
    static let currentVersion: UInt16 = 7
    /// Versions this code reads.
    static let readableVersions: ClosedRange<UInt16> = 1...7
    /// The first version with a device directory, read lazily.
    static let directoryVersion: UInt16 = 6
    /// The first version recording its provenance.
    static let provenanceVersion: UInt16 = 7
    /// magic(8) version(2) flags(2) crc32c(4)
    static let headerSize = 16
    /// Versions 1 to 5: indexOffset(8) indexLength(8) indexCRC(4) footerCRC(4) magic(8)
    static let footerSize = 32
    /// Version 6: entriesOffset(8) directoryOffset(8) deviceCount(8)
    /// seriesCount(8) pointCount(8) firstTime(8) lastTime(8) directoryCRC(4)
    /// footerCRC(4) magic(8)
    static let directoryFooterSize = 72
    /// Version 7: entriesOffset(8) directoryOffset(8) provenanceOffset(8)
    /// deviceCount(8) seriesCount(8) pointCount(8) firstTime(8) lastTime(8)
    /// rank(8) deletionsApplied(8) level(1) reserved(3) provenanceCRC(4)
    /// directoryCRC(4) footerCRC(4) magic(8)
    static let provenanceFooterSize = 104
    /// Version 6, one a device: entryOffset(8) entryLength(4) entryCRC(4)
    /// nameOffset(4); the names follow the records.
    static let directoryRecordSize = 20

    /// The size of the footer of a file of `version`.
    static func footerSize(version: UInt16) -> Int {
        version >= provenanceVersion ? provenanceFooterSize : version >= directoryVersion ? directoryFooterSize : footerSize
    }

    /// File name extension of published segments.
    static let fileExtension = "seg"
    /// The most points one chunk may hold; readers reject larger counts, so a
    /// damaged count cannot make them allocate without bound.
    static let maximumPointsPerChunk = 65_536
    /// Digits in a segment's sequence number in its file name.
    static let sequenceDigits = 10

    static func fileName(sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, sequenceDigits - digits.count)) + digits + "." + fileExtension
    }

    /// The sequence number of a segment file name, or nil when the name is not one.
    static func sequence(ofFileName name: String) -> UInt64? {
        guard name.hasSuffix("." + fileExtension) else { return nil }
        let stem = name.dropLast(fileExtension.count + 1)
        guard stem.count == sequenceDigits, stem.allSatisfy(\.isASCII), stem.allSatisfy(\.isNumber) else { return nil }
        return UInt64(stem)
    }
}

/// General compression over a chunk's encoded payload (format version 3).
///
/// A compressed payload is a varint of the encoded length followed by the
/// compressed bytes. The writer keeps the compressed form only when it is at
/// least an eighth smaller.
public enum ChunkCompression: Sendable, Equatable {
    /// The payload is the codec's output.
    case none
    /// LZ4 block: fast to write and read.
    case lz4
    /// zstd at a level (1...19): smaller, slower to write, about as fast to read.
    case zstd(level: Int32)

    /// The value stored in the codec byte's two high bits.
    var code: UInt8 {
        switch self {
        case .none: 0
        case .lz4: 1
        case .zstd: 2
        }
    }

    /// The compression of a stored code (the zstd level does not matter to read).
    init?(code: UInt8) {
        switch code {
        case 0: self = .none
        case 1: self = .lz4
        case 2: self = .zstd(level: 0)
        default: return nil
        }
    }

    var block: BlockCompression? {
        switch self {
        case .none: nil
        case .lz4: .lz4
        case .zstd(let level): .zstd(level: level)
        }
    }

    var name: String {
        switch self {
        case .none: ""
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// Where a chunk's payload lies and how it is encoded: the part of a chunk's
/// header shared by time and value chunks.
struct ChunkLocation: Sendable, Equatable {
    var offset: Int
    var length: Int
    var codec: ColumnCodec
    /// Compression over the codec's output (always `.none` before version 3).
    var compression: ChunkCompression = .none
    /// The codec, and the compression over it: `gorilla`, `gorilla+zstd`.
    var codecDescription: String {
        compression == .none ? codec.description : codec.description + "+" + compression.name
    }

    /// CRC-32C of the payload bytes.
    var checksum: UInt32
}

/// A chunk of a time column: the timestamps shared by the metrics of one column group.
struct TimeChunkEntry: Sendable, Equatable {
    var location: ChunkLocation
    var count: Int
    var minTime: Int64
    var maxTime: Int64
}

/// A chunk of one metric's values, aligned with the time chunk of the same
/// position in its group.
struct ValueChunkEntry: Sendable, Equatable {
    var location: ChunkLocation
    var minBits: UInt64
    var maxBits: UInt64
    var firstBits: UInt64
    var lastBits: UInt64
    var sum: Double
    /// Non-NaN values and their sum of squared deviations from the mean;
    /// nil in version 1 segments, which did not record them.
    var valueCount: Int?
    var m2: Double?
}

/// A time column and the chunks it is cut into.
struct ColumnGroupEntry: Sendable {
    var timeChunks: [TimeChunkEntry]
}

struct MetricEntry: Sendable {
    var name: String
    var type: ValueType
    /// Index of the metric's column group among its device's groups.
    var group: Int
    var chunks: [ValueChunkEntry]
}

struct DeviceEntry: Sendable {
    var name: String
    var groups: [ColumnGroupEntry]
    /// Sorted by name (UTF-8 byte order).
    var metrics: [MetricEntry]

    func metric(named name: String) -> MetricEntry? {
        var low = 0, high = metrics.count
        while low < high {
            let middle = (low + high) / 2
            if UTF8Order.precedes(metrics[middle].name, name) { low = middle + 1 } else { high = middle }
        }
        return low < metrics.count && UTF8Order.equal(metrics[low].name, name) ? metrics[low] : nil
    }
}

extension ChunkStatistics {
    /// The statistics of a chunk as its index entry records them; nil for a
    /// version 1 entry, which lacks the non-NaN count and squared deviations.
    init?(time: TimeChunkEntry, value: ValueChunkEntry) {
        guard let valueCount = value.valueCount, let m2 = value.m2 else { return nil }
        self.init(
            count: time.count, minTime: time.minTime, maxTime: time.maxTime,
            minBits: value.minBits, maxBits: value.maxBits,
            firstBits: value.firstBits, lastBits: value.lastBits, sum: value.sum,
            valueCount: valueCount, m2: m2)
    }
}
