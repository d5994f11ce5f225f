import Strata

/// Resolves `--device` (names, lists, shell patterns; see ``DeviceSelector``) and `--metric` into series.
enum DeviceSelection {
    static func series(in store: Store, devices selector: String, metric: String?) throws -> [SeriesKey] {
        // The catalog is read once: with 100,000 series, reading it is most of a command's time.
        let catalog = store.series().map(\.key)
        var known: [String] = []
        for key in catalog where known.last.map({ !$0.utf8.elementsEqual(key.device.utf8) }) ?? true { known.append(key.device) }
        let (chosen, unmatched) = try matching(selector, among: known)
        if let pattern = unmatched.first {
            throw CommandError(message: "\(store.directory): no device matches \(pattern.debugDescription); `strata inspect \(store.directory)` lists the devices")
        }
        // Grouped once by the device's bytes: a pattern over a large fleet stays linear.
        let metricsByDevice = Dictionary(grouping: catalog, by: { Array($0.device.utf8) })
        var result: [SeriesKey] = []
        for device in chosen {
            let metrics = (metricsByDevice[Array(device.utf8)] ?? []).map(\.metric)
            if let metric {
                guard metrics.contains(where: { $0.utf8.elementsEqual(metric.utf8) }) else {
                    throw CommandError(message: "\(store.directory): device \(device) has no metric \(metric.debugDescription) (it has \(metrics.joined(separator: ", ")))")
                }
                result.append(SeriesKey(device: device, metric: metric))
            } else {
                result += metrics.map { SeriesKey(device: device, metric: $0) }
            }
        }
        return result
    }
}
