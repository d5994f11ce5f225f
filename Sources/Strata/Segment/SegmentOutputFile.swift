import Glibc

/// A segment being written to disk a device at a time: the bytes go to
/// `NNNNNNNNNN.seg.tmp` as they are encoded, so memory holds the index and a
/// few megabytes, whatever the segment's size. ``finish()`` fsyncs the file and
/// links it under its final name; until then a crash leaves only the
/// temporary file, which the next writer removes.
struct SegmentOutputFile {
    let sequence: UInt64
    let path: String
    private let temporaryPath: String
    private let descriptor: FileDescriptor
    private var writer: SegmentWriter
    /// Bytes handed to the file so far.
    private(set) var bytesWritten = 0
    /// Encoded bytes kept in memory before they are written out.
    private static let writeThreshold = 4 << 20

    init(folder: String, sequence: UInt64, pointsPerChunk: Int, compression: ChunkCompression, provenance: SegmentProvenance) throws(StrataError) {
        self.sequence = sequence
        path = folder + "/" + SegmentFormat.fileName(sequence: sequence)
        temporaryPath = path + ".tmp"
        do throws(Errno) {
            descriptor = try FileDescriptor.open(temporaryPath, .createNew)
        } catch {
            throw .io(error, "creating segment", path: temporaryPath)
        }
        writer = SegmentWriter(pointsPerChunk: pointsPerChunk, compression: compression, provenance: provenance)
    }

    var pointCount: Int { writer.pointCount }

    /// Encoded bytes held in memory, not yet written.
    var pendingBytes: Int { writer.byteCount - bytesWritten }

    /// Appends one device (devices in increasing name order).
    mutating func append(_ device: DeviceColumns) throws(StrataError) {
        writer.append(device)
        if pendingBytes >= Self.writeThreshold { try drain() }
    }

    /// Appends one device given as spans (see ``SegmentWriter/append(device:series:)``).
    mutating func append(device: String, series: [SeriesSpans]) throws(StrataError) {
        writer.append(device: device, series: series)
        if pendingBytes >= Self.writeThreshold { try drain() }
    }

    /// Appends one device encoded by a ``DeviceEncoder`` (devices in increasing name order).
    mutating func append(_ device: EncodedDevice) throws(StrataError) {
        writer.append(device)
        if pendingBytes >= Self.writeThreshold { try drain() }
    }

    /// Writes the bytes encoded so far to the file.
    mutating func drain() throws(StrataError) {
        guard pendingBytes > 0 else { return }
        try write(writer.takePendingBytes())
    }

    private mutating func write(_ bytes: [UInt8]) throws(StrataError) {
        do throws(Errno) {
            try descriptor.write(bytes, at: bytesWritten)
        } catch {
            throw .io(error, "writing segment", path: temporaryPath)
        }
        bytesWritten += bytes.count
    }

    /// Writes the index and footer, fsyncs, and links the file under its
    /// final name, with `level` in its footer when given (else the one it was
    /// made with). The caller fsyncs the folder. Returns the file's size.
    consuming func finish(siblings: [UInt64] = [], level: UInt8? = nil) throws(StrataError) -> Int {
        writer.recordSiblings(siblings)
        if let level { writer.recordLevel(level) }
        let tail = writer.finish()
        do throws(StrataError) { try write(tail) } catch {
            abandon()
            throw error
        }
        do throws(Errno) {
            try descriptor.sync()
        } catch {
            abandon()
            throw .io(error, "syncing segment", path: temporaryPath)
        }
        descriptor.close()
        do throws(Errno) {
            try FileSystem.link(temporaryPath, to: path)
        } catch {
            _ = try? FileSystem.removeFile(temporaryPath)
            throw .io(error, "publishing segment", path: path)
        }
        // A leftover temporary name is removed by the next writer to open the store.
        _ = try? FileSystem.removeFile(temporaryPath)
        return bytesWritten
    }

    /// Closes and removes the temporary file.
    func abandon() {
        descriptor.close()
        _ = try? FileSystem.removeFile(temporaryPath)
    }
}
