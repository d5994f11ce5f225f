import Glibc
import StrataCodecs

/// One device's sorted series, ready to be written into a segment.
struct DeviceColumns: Sendable {
    struct Metric: Sendable {
        var name: String
        var type: ValueType
        var columns: SeriesColumns
    }

    var name: String
    var metrics: [Metric]
}

/// One series of a device as the writer encodes it: the metric's name and
/// type, and its points sorted by time in memory the caller keeps alive
/// during the call.
struct SeriesSpans {
    var metric: String
    var type: ValueType
    var timestamps: UnsafeBufferPointer<Int64>
    var bits: UnsafeBufferPointer<UInt64>
}

/// Builds the bytes of a segment file, one device at a time.
///
/// Metrics of a device whose timestamps are identical share one stored time
/// column (a column group); each column is cut into chunks of at most
/// `pointsPerChunk` points, and the chunks of a group are aligned, so chunk
/// *i* of every metric belongs to time chunk *i*.
///
/// The writer streams: devices are appended in name order, and the caller
/// may take the bytes encoded so far (``takePendingBytes()``) and write them
/// out, so a segment of any size is built in bounded memory. Only the index
/// (the device entries, and for the directory 20 bytes and the name of each
/// device) stays in memory until ``finish()``.
///
/// It writes format 7: the device entries, then the device directory (each
/// entry's offset, length and checksum and where its name lies, then the
/// names), the provenance block (the segments this one replaced), then a
/// footer with the directory's place and checksum, the segment's totals and
/// time bounds, and its rank, level and applied deletions.
struct SegmentWriter {
    let pointsPerChunk: Int
    /// Encoded bytes not yet taken by the caller.
    private var pending: [UInt8] = []
    /// File offset of `pending[0]`.
    private var pendingOffset = 0
    /// The device entries, back to back; their file offset is known only at the end.
    private var entries = ByteWriter(capacity: 4096)
    /// One a device: where its entry lies in `entries`, its checksum, and where its name lies in `names`.
    private var records: [DirectoryRecord] = []
    /// The device names back to back, in record order.
    private var names: [UInt8] = []
    private var lastDevice: [UInt8]? = nil
    /// A device's columns copied back to back by ``append(_:)``.
    private var stagedTimes: [Int64] = []
    private var stagedBits: [UInt64] = []
    private let encoder: DeviceEncoder
    /// Points appended so far (a point of each metric counts once).
    private(set) var pointCount = 0
    /// Series appended so far.
    private var seriesCount = 0
    /// The first and last timestamps appended.
    private var firstTime = Int64.max
    private var lastTime = Int64.min
    /// Where the segment stands in its store, written into its footer.
    private(set) var provenance: SegmentProvenance

    private struct DirectoryRecord {
        var offset: Int
        var length: UInt32
        var checksum: UInt32
        var nameOffset: UInt32
    }

    /// - Parameters:
    ///   - compression: applied to each chunk's payload where it saves at least an eighth.
    ///   - provenance: the segment's rank, level and applied deletions in its
    ///     store, and what it replaces; unrecorded for a segment outside a store.
    init(pointsPerChunk: Int, compression: ChunkCompression = .none, provenance: SegmentProvenance = .unrecorded) {
        self.pointsPerChunk = pointsPerChunk
        self.provenance = provenance
        encoder = DeviceEncoder(pointsPerChunk: pointsPerChunk, compression: compression)
        appendHeader()
    }

    /// Records the outputs of the compaction step this segment belongs to,
    /// known only once the step has written them all.
    mutating func recordSiblings(_ sequences: [UInt64]) {
        provenance.siblings = sequences
    }

    /// Records the segment's level, when it is known only once its points are
    /// encoded (a bulk load goes to a window only if its file fits one).
    mutating func recordLevel(_ level: UInt8) {
        provenance.level = level
    }

    /// Bytes encoded so far, taken or not.
    var byteCount: Int { pendingOffset + pending.count }

    /// Encodes `devices` (any order; sorted here) into a complete segment file image.
    consuming func encode(_ devices: [DeviceColumns]) -> [UInt8] {
        let estimatedPoints = devices.reduce(0) { $0 + $1.metrics.reduce(0) { $0 + $1.columns.count } }
        pending.reserveCapacity(SegmentFormat.headerSize + estimatedPoints * 2 + 4096)
        records.reserveCapacity(devices.count)
        for device in devices.sorted(by: { UTF8Order.precedes($0.name, $1.name) }) {
            append(device)
        }
        return finish()
    }

    /// Appends one device's series. Devices must come in strictly increasing
    /// name order (UTF-8 bytes); a device with no points is skipped.
    mutating func append(_ device: DeviceColumns) {
        let metrics = device.metrics
            .filter { !$0.columns.isEmpty }
            .sorted { UTF8Order.precedes($0.name, $1.name) }
        guard !metrics.isEmpty else { return }
        // Staged back to back, so the encoder works on spans of one buffer.
        stagedTimes.removeAll(keepingCapacity: true)
        stagedBits.removeAll(keepingCapacity: true)
        for metric in metrics {
            stagedTimes.append(contentsOf: metric.columns.timestamps)
            stagedBits.append(contentsOf: metric.columns.bits)
        }
        let times = stagedTimes, values = stagedBits
        times.withUnsafeBufferPointer { times in
            values.withUnsafeBufferPointer { values in
                var spans: [SeriesSpans] = []
                spans.reserveCapacity(metrics.count)
                var offset = 0
                for metric in metrics {
                    let range = offset..<(offset + metric.columns.count)
                    spans.append(SeriesSpans(
                        metric: metric.name, type: metric.type,
                        timestamps: UnsafeBufferPointer(rebasing: times[range]), bits: UnsafeBufferPointer(rebasing: values[range])))
                    offset = range.upperBound
                }
                append(device: device.name, series: spans)
            }
        }
    }

    /// Appends one device's series given as spans: sorted by metric name
    /// (UTF-8 bytes), none empty. Devices must come in strictly increasing
    /// name order.
    mutating func append(device: String, series: [SeriesSpans]) {
        guard !series.isEmpty else { return }
        append(encoder.encode(device: device, series: series))
    }

    /// Appends a device encoded by a ``DeviceEncoder``, on this thread or another
    /// (devices in strictly increasing name order, as ``append(device:series:)``).
    mutating func append(_ device: EncodedDevice) {
        let name = Array(device.name.utf8)
        if let lastDevice { precondition(lastDevice.lexicographicallyPrecedes(name), "devices must be appended in name order") }
        lastDevice = name
        let start = entries.count
        append(encoded: device)
        let length = entries.count - start
        precondition(length <= Int(UInt32.max), "a device entry of \(length) bytes does not fit the directory")
        precondition(names.count <= Int(UInt32.max), "more than 4 GiB of device names do not fit the directory")
        let checksum = entries.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<entries.count])) }
        records.append(DirectoryRecord(offset: start, length: UInt32(length), checksum: checksum, nameOffset: UInt32(names.count)))
        names.append(contentsOf: name)
    }

    /// Returns the bytes encoded since the last call, for the caller to write
    /// at offset `byteCount - result.count` of the file.
    mutating func takePendingBytes() -> [UInt8] {
        let taken = pending
        pendingOffset += pending.count
        pending.removeAll(keepingCapacity: true)
        return taken
    }

    /// Appends the device entries, the directory and the footer, and returns
    /// the bytes not yet taken: the end of the file.
    consuming func finish() -> [UInt8] {
        let entriesOffset = byteCount
        pending.reserveCapacity(pending.count + entries.count + records.count * SegmentFormat.directoryRecordSize + names.count + SegmentFormat.provenanceFooterSize + 16)
        pending.append(contentsOf: entries.bytes)
        let directoryOffset = byteCount
        var directory = ByteWriter(capacity: records.count * SegmentFormat.directoryRecordSize + names.count)
        for record in records {
            directory.writeUInt64(UInt64(entriesOffset + record.offset))
            directory.writeUInt32(record.length)
            directory.writeUInt32(record.checksum)
            directory.writeUInt32(record.nameOffset)
        }
        directory.writeBytes(names)
        let directoryChecksum = directory.bytes.withUnsafeBytes { CRC32C.checksum($0) }
        pending.append(contentsOf: directory.bytes)
        let provenanceOffset = byteCount
        let block = provenance.encodedBlock()
        pending.append(contentsOf: block)
        var footer = ByteWriter(capacity: SegmentFormat.provenanceFooterSize)
        footer.writeUInt64(UInt64(entriesOffset))
        footer.writeUInt64(UInt64(directoryOffset))
        footer.writeUInt64(UInt64(provenanceOffset))
        footer.writeUInt64(UInt64(records.count))
        footer.writeUInt64(UInt64(seriesCount))
        footer.writeUInt64(UInt64(pointCount))
        let empty = records.isEmpty
        footer.writeInt64(empty ? 0 : firstTime)
        footer.writeInt64(empty ? 0 : lastTime)
        footer.writeUInt64(provenance.rank)
        footer.writeUInt64(provenance.deletionsApplied)
        footer.writeUInt8(provenance.level)
        footer.writeBytes([0, 0, 0])
        footer.writeUInt32(block.withUnsafeBytes { CRC32C.checksum($0) })
        footer.writeUInt32(directoryChecksum)
        footer.writeUInt32(footer.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        footer.writeBytes(SegmentFormat.footerMagic)
        pending.append(contentsOf: footer.bytes)
        return pending
    }

    private mutating func appendHeader() {
        var header = ByteWriter(capacity: SegmentFormat.headerSize)
        header.writeBytes(SegmentFormat.headerMagic)
        header.writeUInt16(SegmentFormat.currentVersion)
        header.writeUInt16(0)  // flags, none defined
        header.writeUInt32(header.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        pending.append(contentsOf: header.bytes)
    }

    /// Writes an encoded device's chunks to `pending` and its entry, the chunks'
    /// offsets now known, to `entries`.
    private mutating func append(encoded device: EncodedDevice) {
        let base = byteCount
        pending.append(contentsOf: device.payload)
        firstTime = min(firstTime, device.firstTime)
        lastTime = max(lastTime, device.lastTime)
        pointCount += device.pointCount
        seriesCount += device.metrics.count
        entries.writeString(device.name)
        entries.writeVarUInt(UInt64(device.groups.count))
        for group in device.groups {
            entries.writeVarUInt(UInt64(group.count))
            for chunk in group {
                write(chunk.location, movedBy: base, to: &entries)
                entries.writeVarUInt(UInt64(chunk.count))
                entries.writeVarInt(chunk.first)
                entries.writeVarInt(chunk.last)
            }
        }
        entries.writeVarUInt(UInt64(device.metrics.count))
        for metric in device.metrics {
            entries.writeString(metric.name)
            entries.writeUInt8(metric.type.rawValue)
            entries.writeVarUInt(UInt64(metric.group))
            for (location, statistics) in metric.chunks {
                write(location, movedBy: base, to: &entries)
                entries.writeUInt64(statistics.minBits)
                entries.writeUInt64(statistics.maxBits)
                entries.writeUInt64(statistics.firstBits)
                entries.writeUInt64(statistics.lastBits)
                entries.writeUInt64(statistics.sum.bitPattern)
                entries.writeVarUInt(UInt64(statistics.valueCount))
                entries.writeUInt64(statistics.m2.bitPattern)
            }
        }
    }

    private func write(_ location: ChunkLocation, movedBy base: Int, to index: inout ByteWriter) {
        index.writeVarUInt(UInt64(base + location.offset))
        index.writeVarUInt(UInt64(location.length))
        index.writeUInt8(location.codec.rawValue | location.compression.code << 6)
        index.writeUInt32(location.checksum)
    }
}
