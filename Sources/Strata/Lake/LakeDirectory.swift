/// The files of a lake (see ``LakeSync``) that one store's sync touches:
///
/// ```
/// DEST/
/// ├── _strata_sync/           ID.state, ID.pending, ID.lock: one store's sync state (ID: its identity)
/// └── device=NAME/
///     └── date=2024-03-07/    (or month=2024-03, year=2024)
///         ├── part-ID.parquet     this store's points of the device and day
///         └── part-OTHER.parquet  another store's, never touched here
/// ```
///
/// Every directory and file is reached relative to the open directory above
/// it, never through a symbolic link (as ``PartitionedParquetExport`` does).
/// A partition file is written beside its final name under a hidden
/// temporary name and renamed over it, so readers see the old file or the
/// new one, never part of one.
final class LakeDirectory: Sendable {
    static let stateFolderName = "_strata_sync"

    let path: String
    let identity: StoreIdentity
    let granularity: LakeGranularity
    /// `part-ID.parquet`: this store's file in each of its partitions.
    let fileName: String
    let root: DirectoryDescriptor
    private let options: ParquetFileWriter.Options

    var stateFolder: String { root.child(Self.stateFolderName) }
    var statePath: String { stateFolder + "/" + identity.hex + ".state" }
    var pendingPath: String { stateFolder + "/" + identity.hex + ".pending" }
    var lockPath: String { stateFolder + "/" + identity.hex + ".lock" }

    /// Opens (creating if needed) the lake at `path` and its state folder.
    init(path: String, identity: StoreIdentity, granularity: LakeGranularity, options: ParquetFileWriter.Options) throws(StrataError) {
        self.path = path
        self.identity = identity
        self.granularity = granularity
        self.options = options
        fileName = "part-" + identity.hex + ".parquet"
        guard !path.isEmpty else { throw StrataError(.invalidArgument, "the lake directory's path is empty") }
        if FileSystem.fileExists(path) && !FileSystem.isDirectory(path) {
            throw StrataError(.invalidArgument, "is not a directory; a lake is a directory", path: path)
        }
        do throws(Errno) {
            try FileSystem.createDirectories(path)
            root = try DirectoryDescriptor.open(path)
        } catch {
            throw .io(error, "opening the lake directory", path: path)
        }
        do throws(Errno) {
            let (folder, created) = try root.subdirectory(Self.stateFolderName, create: true)
            folder.close()
            if created { try root.sync() }
        } catch {
            root.close()
            if root.isSymbolicLink(Self.stateFolderName) {
                throw StrataError(.invalidArgument, "is a symbolic link; a sync never writes through one", path: stateFolder)
            }
            throw .io(error, "creating the sync state folder", path: stateFolder)
        }
    }

    deinit { root.close() }

    /// The first thing readers would see in the lake that no sync writes, as a
    /// path relative to it: anything but `device=` directories holding
    /// partition directories that hold only syncs' `part-ID.parquet` files
    /// (hidden names, starting with `_` or `.`, are skipped as readers skip them).
    func foreignEntry() throws(StrataError) -> String? {
        func visible(_ directory: String) throws(Errno) -> [String] {
            try FileSystem.contentsOfDirectory(directory).filter { !$0.hasPrefix("_") && !$0.hasPrefix(".") }.sorted()
        }
        do throws(Errno) {
            for device in try visible(path) {
                guard device.hasPrefix("device="), FileSystem.isDirectory(root.child(device)) else { return device }
                for partition in try visible(root.child(device)) {
                    let partitionPath = root.child(device) + "/" + partition
                    guard FileSystem.isDirectory(partitionPath) else { return device + "/" + partition }
                    for file in try visible(partitionPath) where !Self.isPartFileName(file) {
                        return device + "/" + partition + "/" + file
                    }
                }
            }
            return nil
        } catch {
            throw .io(error, "listing the lake directory", path: path)
        }
    }

    /// `part-` and 32 lowercase hex digits (a store identity) and `.parquet`.
    static func isPartFileName(_ name: String) -> Bool {
        guard name.hasPrefix("part-"), name.hasSuffix(".parquet") else { return false }
        return StoreIdentity(hex: String(name.dropFirst(5).dropLast(8))) != nil
    }

    /// Each device's directory name, by the device's bytes, refusing two
    /// devices whose names shorten to the same one.
    func directoryNames(of devices: [String]) throws(StrataError) -> [[UInt8]: String] {
        var names: [[UInt8]: String] = [:]
        var shortened: [String: String] = [:]
        for device in devices {
            let name = PartitionNaming.deviceDirectory(device)
            if PartitionNaming.isShortened(device) {
                if let other = shortened[name], !UTF8Order.equal(other, device) {
                    throw StrataError(.invalidArgument, "devices \(other.debugDescription) and \(device.debugDescription) share the shortened directory name; sync them into separate lakes", path: root.child(name))
                }
                shortened[name] = device
            }
            names[Array(device.utf8)] = name
        }
        return names
    }

    /// What writing a partition did: the file, and which directories it made.
    struct Written {
        var file: ParquetFileWriter.Summary
        var createdDevice: Bool
        var createdPartition: Bool
    }

    /// Writes `slices` of `series` as `partition`'s file, replacing it, in
    /// the device directory `deviceName` (see ``directoryNames(of:)``).
    func write(_ partition: LakePartition, in deviceName: String, _ slices: [(series: Int, rows: Range<Int>)], of series: [SeriesPoints]) throws(StrataError) -> Written {
        let (deviceDirectory, createdDevice) = try root.partitionSubdirectory(deviceName, writtenBy: "a sync")
        defer { deviceDirectory.close() }
        let partitionName = granularity.directoryName(ofPartition: partition.first)
        let (partitionDirectory, createdPartition) = try deviceDirectory.partitionSubdirectory(partitionName, writtenBy: "a sync")
        defer { partitionDirectory.close() }
        if partitionDirectory.isSymbolicLink(fileName) {
            throw StrataError(.invalidArgument, "is a symbolic link; a sync never writes through one", path: partitionDirectory.child(fileName))
        }
        let metadata = [(key: "strata.device", value: partition.device), granularity.metadata(ofPartition: partition.first),
                        (key: "strata.store", value: identity.hex)]
        let writer = try ParquetFileWriter(directory: partitionDirectory, name: fileName, options: options, metadata: metadata)
        for slice in slices { try writer.append(series[slice.series], rows: slice.rows) }
        return Written(file: try writer.close(), createdDevice: createdDevice, createdPartition: createdPartition)
    }

    /// Removes `partition`'s file, and its directories if that leaves them
    /// empty; false when there was no file.
    func remove(_ partition: LakePartition, in deviceName: String) throws(StrataError) -> Bool {
        let partitionName = granularity.directoryName(ofPartition: partition.first)
        let deviceDirectory: DirectoryDescriptor
        do throws(Errno) {
            deviceDirectory = try root.subdirectory(deviceName, create: false).directory
        } catch {
            if error == .noSuchFile { return false }
            throw .io(error, "opening the device directory", path: root.child(deviceName))
        }
        defer { deviceDirectory.close() }
        let partitionDirectory: DirectoryDescriptor
        do throws(Errno) {
            partitionDirectory = try deviceDirectory.subdirectory(partitionName, create: false).directory
        } catch {
            guard error == .noSuchFile else { throw .io(error, "opening the partition directory", path: deviceDirectory.child(partitionName)) }
            // A stopped sync may have removed the partition's directory and not yet its device's.
            root.removeEmptyDirectory(deviceName)
            return false
        }
        let removed: Bool
        do throws(Errno) {
            defer { partitionDirectory.close() }
            do throws(Errno) {
                try partitionDirectory.removeFile(fileName)
                removed = true
            } catch where error == .noSuchFile {
                removed = false
            }
            try partitionDirectory.sync()
            deviceDirectory.removeEmptyDirectory(partitionName)
            try deviceDirectory.sync()
            root.removeEmptyDirectory(deviceName)
        } catch {
            throw .io(error, "removing the partition file", path: deviceDirectory.child(partitionName + "/" + fileName))
        }
        return removed
    }

    /// The partitions of `device` holding this store's file (or a temporary
    /// one a stopped sync left, which goes), from the directory listing:
    /// for a sync that must find what a stopped one wrote.
    func partitionsOnDisk(in deviceName: String) throws(StrataError) -> [Int64] {
        let devicePath = root.child(deviceName)
        guard FileSystem.isDirectory(devicePath) else { return [] }
        var found: [Int64] = []
        do throws(Errno) {
            for name in try FileSystem.contentsOfDirectory(devicePath) {
                guard let first = granularity.partition(ofDirectoryName: name) else { continue }
                let partitionPath = devicePath + "/" + name
                for entry in try FileSystem.contentsOfDirectory(partitionPath) {
                    if entry == fileName {
                        found.append(first)
                    } else if entry.hasPrefix("." + fileName + "."), entry.hasSuffix(".tmp") {
                        try FileSystem.removeFile(partitionPath + "/" + entry)
                    }
                }
            }
        } catch {
            throw .io(error, "listing the device's partitions", path: devicePath)
        }
        return found
    }

    /// Makes a device's new partition directories durable (and the device's
    /// own, new, entry with `createdDevice`), once the device is done.
    func syncDirectories(of deviceName: String, createdDevice: Bool) throws(StrataError) {
        do throws(Errno) {
            let directory = try root.subdirectory(deviceName, create: false).directory
            defer { directory.close() }
            try directory.sync()
            if createdDevice { try root.sync() }
        } catch {
            throw .io(error, "syncing the lake's new directories", path: root.child(deviceName))
        }
    }
}
