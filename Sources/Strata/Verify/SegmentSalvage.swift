/// What survives of a damaged segment: the points of every chunk whose
/// checksums hold and that decodes consistently with its index entry, ready
/// to be written into a new segment, and exactly what is lost.
///
/// A time chunk is shared by the metrics of its column group, so a damaged
/// time chunk loses that stretch of every metric in the group; a damaged value
/// chunk loses only its own metric's stretch. A device entry that cannot be
/// parsed cannot say which series it held: it is counted, not listed.
struct SegmentSalvage {
    /// The intact points, by device, ready for ``SegmentWriter``.
    var devices: [DeviceColumns] = []
    /// The series and time ranges of the chunks that were not intact.
    var lost: [(series: SeriesKey, first: Int64, last: Int64)] = []
    /// Device entries that could not be parsed.
    var unreadableEntries = 0
    /// Points kept.
    var salvagedPoints = 0

    init(_ segment: SegmentFile) {
        var times: [Int64] = [], bits: [UInt64] = []
        for position in 0..<segment.deviceCount {
            guard let device = try? segment.device(at: position) else {
                unreadableEntries += 1
                continue
            }
            var kept = DeviceColumns(name: device.name, metrics: [])
            for metric in device.metrics {
                var columns = SeriesColumns()
                let timeChunks = device.groups[metric.group].timeChunks
                for (index, entry) in metric.chunks.enumerated() where index < timeChunks.count {
                    let chunk = SeriesChunk(time: timeChunks[index], value: entry)
                    if Self.decodeIntact(chunk, type: metric.type, of: segment, times: &times, bits: &bits) {
                        columns.timestamps += times
                        columns.bits += bits
                    } else {
                        lost.append((SeriesKey(device: device.name, metric: metric.name), chunk.time.minTime, chunk.time.maxTime))
                    }
                }
                guard !columns.isEmpty else { continue }
                salvagedPoints += columns.count
                kept.metrics.append(.init(name: metric.name, type: metric.type, columns: columns))
            }
            if !kept.metrics.isEmpty { devices.append(kept) }
        }
    }

    /// True when `chunk` passes its checksums and decodes into exactly the
    /// points its index entry describes: its count, its time bounds, strictly
    /// increasing times.
    private static func decodeIntact(
        _ chunk: SeriesChunk, type: ValueType, of segment: SegmentFile, times: inout [Int64], bits: inout [UInt64]
    ) -> Bool {
        do throws(StrataError) {
            try segment.decode(chunk, type: type, timestamps: &times, bits: &bits)
        } catch {
            return false
        }
        guard times.count == chunk.time.count, bits.count == times.count,
              times.first == chunk.time.minTime, times.last == chunk.time.maxTime else { return false }
        var previous = Int64.min
        for (index, time) in times.enumerated() {
            if index > 0 && time <= previous { return false }
            previous = time
        }
        return true
    }
}
