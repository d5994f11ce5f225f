/// One sync of a store into a lake, step by step: read the state, find the
/// partitions to check, record them as pending, read and rewrite what
/// changed, then replace the state (see ``LakeSync``).
struct LakeSyncRun: Sendable {
    private let store: Store
    private let lake: LakeDirectory
    private let options: LakeSync.Options
    private let previous: LakeSyncState?
    private let previousPending: LakeSyncPending?
    /// The partitions the lake holds for this store and what each file holds.
    private var owned: [LakePartition: PartitionDigest] = [:]
    /// Owned partitions by device bytes, sorted, for lookups by run.
    private var ownedByDevice: [[UInt8]: [Int64]] = [:]
    private var summary = LakeSync.Summary()

    /// Never equal to a real digest: a file whose contents are unknown is rewritten.
    static let unknownDigest = PartitionDigest(rows: .max, hash: 0)

    init(store: Store, lake: LakeDirectory, options: LakeSync.Options) throws(StrataError) {
        self.store = store
        self.lake = lake
        self.options = options
        previous = try Self.readState(lake: lake, options: options)
        previousPending = try Self.read(lake.pendingPath) { bytes, path throws(StrataError) in try LakeSyncPending.decode(bytes, path: path) }
        if previous == nil, previousPending == nil, let foreign = try lake.foreignEntry() {
            throw StrataError(.invalidArgument, "holds files no sync wrote (\(foreign.debugDescription) among them); sync into an empty directory or a lake only syncs write", path: lake.path)
        }
        for partition in previous?.partitions ?? [] { owned[partition.partition] = partition.digest }
    }

    mutating func perform(progress: ((LakeSync.Progress) -> Void)?) throws(StrataError) -> LakeSync.Summary {
        let snapshot = LakeSnapshot(of: store)
        // A store behind the state (a backup restored in its place) cannot be compared with it.
        let usable = previous.flatMap { $0.watermark <= snapshot.nextSequence ? $0 : nil }
        summary.wasFullPass = usable == nil
        try adoptPendingFiles()
        rebuildOwnedIndex()
        let selects = options.devices.includes
        var changes = try LakeChanges.find(in: snapshot, since: usable, owned: owned.keys.sorted(), granularity: options.granularity,
                                              retention: store.configuration.retention, now: wallClockMilliseconds(), selects: selects)
        for run in previousPending?.runs ?? [] { changes.add(device: run.device, partitions: (run.first, run.last)) }
        let work = changes.merged()
        try writePending(work)

        // The catalog reads every segment's index: only when there is something to read.
        let catalog = work.isEmpty ? [:] : Dictionary(grouping: store.series(), by: { Array($0.key.device.utf8) })
        let names = try lake.directoryNames(of: work.map(\.device))
        let outcomes = try checkInParallel(work, catalog: catalog, names: names, progress: progress)
        for outcome in outcomes {
            for (partition, digest) in outcome.changes { owned[partition] = digest }
            summary.add(outcome)
        }
        try commit(snapshot)
        summary.partitions = owned.count
        return summary
    }

    /// Checks the devices of `work` on several threads (a sync waits on
    /// fsyncs as much as it computes), each device by one thread; returns
    /// what each did, in `work`'s order. The first failure stops the others
    /// before their next device and is thrown.
    private func checkInParallel(
        _ work: [(device: String, runs: [(first: Int64, last: Int64)])], catalog: [[UInt8]: [(key: SeriesKey, type: ValueType)]],
        names: [[UInt8]: String], progress: ((LakeSync.Progress) -> Void)?
    ) throws(StrataError) -> [DeviceOutcome] {
        let results = UnsafeMutableBufferPointer<DeviceOutcome>.allocate(capacity: work.count)
        results.initialize(repeating: DeviceOutcome())
        defer { results.deinitialize().deallocate() }
        let slots = OutcomeSlots(results: results)
        let report = ProgressReport(call: progress)
        // The next device to take, the devices done, and the first failure.
        let shared = Locked<(next: Int, done: Int, failure: StrataError?)>((0, 0, nil))
        ParallelWork.run(workers: min(work.count, 2 * ParallelWork.processorCount)) { _ in
            while true {
                let taken = shared.withLock { state -> Int? in
                    guard state.failure == nil, state.next < work.count else { return nil }
                    state.next += 1
                    return state.next - 1
                }
                guard let index = taken else { return }
                let item = work[index]
                let metrics = (catalog[Array(item.device.utf8)] ?? []).map(\.key.metric).sorted(by: UTF8Order.precedes)
                do throws(StrataError) {
                    slots.results[index] = try check(device: item.device, in: names[Array(item.device.utf8)]!, metrics: metrics, runs: item.runs)
                    shared.withLock { state in
                        state.done += 1
                        report.call?(LakeSync.Progress(devicesDone: state.done, devicesTotal: work.count))
                    }
                } catch {
                    shared.withLock { state in if state.failure == nil { state.failure = error } }
                }
            }
        }
        if let failure = shared.withLock({ $0.failure }) { throw failure }
        return Array(results)
    }

    /// Reads `device`'s points over `runs`, and writes, rewrites or removes
    /// each partition in them that changed; then makes new directories durable.
    private func check(device: String, in deviceName: String, metrics: [String], runs: [(first: Int64, last: Int64)]) throws(StrataError) -> DeviceOutcome {
        var outcome = DeviceOutcome()
        var createdDevice = false, createdPartition = false
        for run in runs {
            let series = try points(of: device, metrics: metrics, run: run)
            var present = Set<Int64>()
            for (first, slices) in options.granularity.rowsByPartition(series) {
                present.insert(first)
                var digest = PartitionDigest()
                for slice in slices { digest.add(series[slice.series], rows: slice.rows) }
                let partition = LakePartition(device: device, first: first)
                let before = owned[partition]
                if before == digest {
                    outcome.unchanged += 1
                    continue
                }
                let written = try lake.write(partition, in: deviceName, slices, of: series)
                createdDevice = createdDevice || written.createdDevice
                createdPartition = createdPartition || written.createdPartition
                outcome.rows += written.file.rowCount
                outcome.bytes += written.file.byteCount
                if before == nil { outcome.written += 1 } else { outcome.rewritten += 1 }
                outcome.changes.append((partition, digest))
            }
            // Owned partitions of the run left without a point.
            for first in ownedPartitions(of: device, from: run.first, through: run.last) where !present.contains(first) {
                let partition = LakePartition(device: device, first: first)
                if try lake.remove(partition, in: deviceName) { outcome.deleted += 1 }
                outcome.changes.append((partition, nil))
            }
        }
        if createdPartition { try lake.syncDirectories(of: deviceName, createdDevice: createdDevice) }
        return outcome
    }

    /// `device`'s points over the partitions of `run`, series by series (metrics in order), the empty ones left out.
    private func points(of device: String, metrics: [String], run: (first: Int64, last: Int64)) throws(StrataError) -> [SeriesPoints] {
        let from = LakeGranularity.startOfDay(run.first)
        let next = LakeGranularity.startOfDay(options.granularity.next(after: run.last))
        // The last partition of time ends past Int64.max: no upper bound.
        let to = next == .max ? Int64.max : next
        var series: [SeriesPoints] = []
        for metric in metrics {
            let points = try store.query(device: device, metric: metric, from: from, to: to)
            if !points.isEmpty { series.append(points) }
        }
        return series
    }

    /// The owned partitions of `device` from `first` through `last`, as the run began.
    private func ownedPartitions(of device: String, from first: Int64, through last: Int64) -> [Int64] {
        guard let firsts = ownedByDevice[Array(device.utf8)] else { return [] }
        var low = 0, high = firsts.count
        while low < high {
            let middle = (low + high) / 2
            if firsts[middle] < first { low = middle + 1 } else { high = middle }
        }
        var result: [Int64] = []
        while low < firsts.count && firsts[low] <= last {
            result.append(firsts[low])
            low += 1
        }
        return result
    }

    private mutating func rebuildOwnedIndex() {
        ownedByDevice = [:]
        for partition in owned.keys { ownedByDevice[Array(partition.device.utf8), default: []].append(partition.first) }
        for key in ownedByDevice.keys { ownedByDevice[key]!.sort() }
    }

    /// After a sync that stopped half way: every file of the pending runs is
    /// owned and of unknown contents, so it is rewritten or removed.
    private mutating func adoptPendingFiles() throws(StrataError) {
        guard let runs = previousPending?.runs, !runs.isEmpty else { return }
        rebuildOwnedIndex()
        // Each device's directory listed once, however many runs it has.
        for (_, deviceRuns) in Dictionary(grouping: runs, by: { Array($0.device.utf8) }) {
            let device = deviceRuns[0].device
            let onDisk = try lake.partitionsOnDisk(in: PartitionNaming.deviceDirectory(device))
            for run in deviceRuns {
                let inRun = onDisk.filter { run.first <= $0 && $0 <= run.last } + ownedPartitions(of: device, from: run.first, through: run.last)
                for first in inRun { owned[LakePartition(device: device, first: first)] = Self.unknownDigest }
            }
        }
    }

    /// Records the runs about to be checked, durably, before any file changes.
    private func writePending(_ work: [(device: String, runs: [(first: Int64, last: Int64)])]) throws(StrataError) {
        let runs = work.flatMap { item in item.runs.map { LakeSyncPending.Run(device: item.device, first: $0.first, last: $0.last) } }
        guard !runs.isEmpty else { return }
        let pending = LakeSyncPending(identity: lake.identity, runs: runs)
        do throws(Errno) {
            try FileSystem.replaceFileAtomically(lake.pendingPath, directory: lake.stateFolder, contents: pending.encoded())
        } catch {
            throw .io(error, "recording the partitions the sync will check", path: lake.pendingPath)
        }
    }

    /// Replaces the state with what the lake now holds, then drops the pending runs.
    private func commit(_ snapshot: LakeSnapshot) throws(StrataError) {
        let state = LakeSyncState(
            identity: lake.identity, granularity: options.granularity, selection: options.devices.description,
            watermark: snapshot.nextSequence, headSpan: snapshot.headSpan, segments: snapshot.seenSegments,
            partitions: owned.map { LakeSyncState.OwnedPartition(partition: $0.key, digest: $0.value) }.sorted { $0.partition < $1.partition })
        do throws(Errno) {
            try FileSystem.replaceFileAtomically(lake.statePath, directory: lake.stateFolder, contents: state.encoded())
            if FileSystem.fileExists(lake.pendingPath) {
                try FileSystem.removeFile(lake.pendingPath)
                try FileSystem.syncDirectory(lake.stateFolder)
            }
        } catch {
            throw .io(error, "writing the sync state", path: lake.statePath)
        }
    }

    /// The previous state, checked against this sync's options.
    private static func readState(lake: LakeDirectory, options: LakeSync.Options) throws(StrataError) -> LakeSyncState? {
        let recovery = "; to sync this store from scratch, remove the state and the store's files: "
            + "find \(lake.path) -name '\(lake.fileName)' -delete; rm \(lake.statePath)"
        let decoded: LakeSyncState?
        do throws(StrataError) {
            decoded = try read(lake.statePath, decode: { bytes, path throws(StrataError) in try LakeSyncState.decode(bytes, path: path) })
        } catch where error.code == .corruptFile {
            throw StrataError(.corruptFile, error.message + recovery, path: error.path, offset: error.offset)
        }
        guard let state = decoded else { return nil }
        guard state.identity == lake.identity else {
            throw StrataError(.corruptFile, "sync state of store \(state.identity) filed under this store's identity \(lake.identity); remove it to sync the store again from scratch", path: lake.statePath)
        }
        guard state.granularity == options.granularity else {
            throw StrataError(.invalidArgument, "the lake holds this store's points by \(state.granularity.rawValue), not by \(options.granularity.rawValue); sync with --granularity \(state.granularity.rawValue), or into another directory", path: lake.path)
        }
        guard state.selection == options.devices.description else {
            let was = state.selection.isEmpty ? "every device" : "--device \(state.selection.debugDescription)"
            let now = options.devices.description.isEmpty ? "every device" : "--device \(options.devices.description.debugDescription)"
            throw StrataError(.invalidArgument, "the lake was synced from this store with \(was), not \(now); sync with the same selection, or into another directory", path: lake.path)
        }
        return state
    }

    /// Decodes the file at `path`, nil when there is none.
    private static func read<Value>(_ path: String, decode: ([UInt8], String) throws(StrataError) -> Value) throws(StrataError) -> Value? {
        let bytes: [UInt8]
        do throws(Errno) {
            bytes = try FileSystem.readFile(path)
        } catch where error == .noSuchFile {
            return nil
        } catch {
            throw .io(error, "reading the sync state", path: path)
        }
        return try decode(bytes, path)
    }
}

/// What checking one device did: its partitions' new digests (nil: file
/// removed) and the counts for the summary.
struct DeviceOutcome: Sendable {
    var changes: [(LakePartition, PartitionDigest?)] = []
    var written = 0, rewritten = 0, deleted = 0, unchanged = 0, rows = 0, bytes = 0
}

extension LakeSync.Summary {
    mutating func add(_ outcome: DeviceOutcome) {
        written += outcome.written
        rewritten += outcome.rewritten
        deleted += outcome.deleted
        unchanged += outcome.unchanged
        rows += outcome.rows
        bytes += outcome.bytes
        devicesRead += 1
    }
}

/// The workers' result slots: each worker writes only the slots of the devices it took.
private struct OutcomeSlots: @unchecked Sendable {
    let results: UnsafeMutableBufferPointer<DeviceOutcome>
}

/// The caller's progress callback, called by one worker at a time (under the workers' lock).
private struct ProgressReport: @unchecked Sendable {
    let call: ((LakeSync.Progress) -> Void)?
}
