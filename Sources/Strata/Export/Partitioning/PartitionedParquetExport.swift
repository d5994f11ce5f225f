import Glibc

/// Writes points as Parquet files laid out as Hive partitions, one file per
/// device and UTC day: `DIRECTORY/device=NAME/date=DATE/part-0.parquet`
/// (names from ``PartitionNaming``).
///
/// Every directory and file is created relative to the open directory
/// above it (`mkdirat`, `openat` with `O_NOFOLLOW`), so nothing is written
/// outside `DIRECTORY`: a symbolic link found among the names is an error
/// naming it. Each file appears whole when done (``ExportFile``); a failed
/// export leaves the files finished before it and no partial one. A file's
/// key/value metadata holds the exact device name (`strata.device`) and
/// the date (`strata.date`), which matter when the name was shortened.
///
/// ```swift
/// let export = try PartitionedParquetExport(directory: "lake")
/// for device in store.devices() {
///     let series = try store.metrics(of: device).map { try store.query(device: device, metric: $0.name) }
///     try export.write(device: device, series: series)
/// }
/// let summary = export.summary
/// ```
public final class PartitionedParquetExport {
    /// What has been written so far.
    public struct Summary: Sendable, Equatable {
        /// Rows written.
        public var rowCount = 0
        /// Files written.
        public var fileCount = 0
        /// Bytes written.
        public var byteCount = 0
    }

    /// The destination directory.
    public let directory: String
    /// Files, rows and bytes written so far.
    public private(set) var summary = Summary()
    private let options: ParquetFileWriter.Options
    private let root: DirectoryDescriptor
    /// The destination and the protected directory, resolved, for the inside-the-store check.
    private let resolvedDirectory: String
    private let protectedDirectory: String?
    /// Devices whose directory name was shortened, by that name: two names
    /// sharing one would overwrite each other's files.
    private var shortenedNames: [String: String] = [:]
    private var isClosed = false

    /// Creates `directory` (and missing parents) if needed and opens it.
    /// With `protectedDirectory` (a store's directory), any output that
    /// would land inside it is refused (see ``ExportDestination``).
    public init(directory: String, options: ParquetFileWriter.Options = .init(), protectedDirectory: String? = nil) throws(StrataError) {
        self.directory = directory
        self.options = options
        resolvedDirectory = FileSystem.resolvedPath(directory)
        self.protectedDirectory = protectedDirectory.map(FileSystem.resolvedPath)
        if let protectedDirectory {
            try ExportDestination.refuseInside(store: protectedDirectory, destination: directory)
        }
        do throws(Errno) {
            try FileSystem.createDirectories(directory)
            root = try DirectoryDescriptor.open(directory)
        } catch {
            throw .io(error, "creating the destination directory", path: directory)
        }
    }

    deinit { close() }

    /// Closes the destination directory; later writes fail.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        root.close()
    }

    /// Writes every point of `series`, all of them `device`'s, one file per
    /// UTC day they fall on, replacing those days' files if present.
    public func write(device: String, series: [SeriesPoints]) throws(StrataError) {
        guard !isClosed else { throw StrataError(.closed, "the partitioned export is closed", path: directory) }
        let deviceName = PartitionNaming.deviceDirectory(device)
        if PartitionNaming.isShortened(device) {
            if let other = shortenedNames[deviceName], other != device {
                throw StrataError(.invalidArgument, "devices \(other.debugDescription) and \(device.debugDescription) share the shortened directory name; export them separately", path: root.child(deviceName))
            }
            shortenedNames[deviceName] = device
        }
        let days = LakeGranularity.day.rowsByPartition(series)
        guard !days.isEmpty else { return }
        if let protectedDirectory {
            for (day, _) in days {
                let file = deviceName + "/" + PartitionNaming.dateDirectory(day: day) + "/part-0.parquet"
                if FileSystem.isPath(resolvedDirectory + "/" + file, inside: protectedDirectory) {
                    throw StrataError(.invalidArgument, "would write inside the store \(protectedDirectory); export to a directory outside it", path: root.child(file))
                }
            }
        }
        let (deviceDirectory, createdDevice) = try root.partitionSubdirectory(deviceName, writtenBy: "an export")
        defer { deviceDirectory.close() }
        for (day, slices) in days {
            do throws(StrataError) {
                try writeDay(day, slices, of: series, device: device, into: deviceDirectory)
            } catch {
                // A directory made for this device and left empty by the failure goes too.
                if createdDevice { root.removeEmptyDirectory(deviceName) }
                throw error
            }
        }
        // New date directories' entries, then the device's own entry.
        do throws(Errno) {
            try deviceDirectory.sync()
            try root.sync()
        } catch {
            throw .io(error, "syncing the partition directories", path: deviceDirectory.path)
        }
    }

    /// Writes `slices` of `series`, the points of `day`, to DATE/part-0.parquet in `deviceDirectory`.
    private func writeDay(_ day: Int64, _ slices: [(series: Int, rows: Range<Int>)], of series: [SeriesPoints], device: String,
                          into deviceDirectory: DirectoryDescriptor) throws(StrataError) {
        let dateName = PartitionNaming.dateDirectory(day: day)
        let (dateDirectory, createdDate) = try deviceDirectory.partitionSubdirectory(dateName, writtenBy: "an export")
        defer { dateDirectory.close() }
        do throws(StrataError) {
            if dateDirectory.isSymbolicLink("part-0.parquet") {
                throw StrataError(.invalidArgument, "is a symbolic link; an export never writes through one", path: dateDirectory.child("part-0.parquet"))
            }
            let metadata = [(key: "strata.device", value: device), (key: "strata.date", value: PartitionNaming.date(ofDay: day))]
            let writer = try ParquetFileWriter(directory: dateDirectory, name: "part-0.parquet", options: options, metadata: metadata)
            for slice in slices { try writer.append(series[slice.series], rows: slice.rows) }
            let written = try writer.close()
            summary.rowCount += written.rowCount
            summary.byteCount += written.byteCount
            summary.fileCount += 1
        } catch {
            if createdDate { deviceDirectory.removeEmptyDirectory(dateName) }
            throw error
        }
    }
}
