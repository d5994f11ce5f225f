import Strata
import Synchronization

/// Live anomaly detection: one `AnomalyMonitor` fed with every batch the service
/// appends, the windows open now per series, and a bounded ring of the most recent
/// closed windows.
///
/// The monitor judges each series' points in the order it is fed them; a point at or
/// before the last point seen for its series is ignored and counted
/// (``AnomalyMonitor/latePointsIgnored``). The service feeds a write's points after its
/// `Store.append` returned, so two requests carrying the same series at the same moment
/// may reach the monitor in either order, and the older points then count as late.
public final class LiveAnomalies: Sendable {
    /// One window, with its series.
    public struct Entry: Sendable, Equatable {
        public let series: SeriesKey
        public let window: AnomalyWindow
    }

    /// The monitor (its options: those it was created with).
    public let monitor: AnomalyMonitor
    /// How many closed windows are kept, newest first.
    public let recentLimit: Int
    private let log: @Sendable (String) -> Void

    private struct State {
        /// The window open now in each series, as it was when it opened.
        var open: [SeriesKey: AnomalyWindow] = [:]
        /// The most recent closed windows, oldest first, at most `recentLimit`.
        var recent: [Entry] = []
        /// Where the next closed window goes once the ring is full.
        var next = 0
    }
    private let state = Mutex(State())

    /// - Parameters:
    ///   - options: the monitor's detector and windowing; by default the automatic detector.
    ///   - recentLimit: how many closed windows `snapshot()` returns at most.
    ///   - log: receives one line when a window opens and one when it closes.
    public init(options: AnomalyOptions = AnomalyOptions(), recentLimit: Int = 1_000,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        monitor = try AnomalyMonitor(options: options)
        self.recentLimit = max(1, recentLimit)
        self.log = log
    }

    /// Judges the points of one write, series by series, each in the order written.
    /// The monitor is called under this object's lock, so the events of concurrent writes
    /// are recorded in the order the monitor produced them.
    func observe(_ batch: WriteBatch) {
        let lines = state.withLock { state in
            monitor.observe(batch).map { record($0, in: &state) }
        }
        for line in lines { log(line) }
    }

    /// Notes an event and returns its log line.
    private func record(_ event: AnomalyEvent, in state: inout State) -> String {
        let window = event.window
        let series = event.series
        let what = "device \(series.device) metric \(series.metric) start \(TimeText.format(window.start)) kind \(window.kind.rawValue) score \(Self.decimal(window.score))"
        switch event {
        case .opened:
            state.open[series] = window
            return "anomaly opened: " + what
        case .closed:
            state.open[series] = nil
            let entry = Entry(series: series, window: window)
            if state.recent.count < recentLimit {
                state.recent.append(entry)
            } else {
                state.recent[state.next] = entry
                state.next = (state.next + 1) % recentLimit
            }
            return "anomaly closed: " + what + " end \(TimeText.format(window.end)) points \(window.points)"
        }
    }

    /// The windows open now (by series name) and the recent closed ones (oldest first).
    public func snapshot() -> (open: [Entry], recent: [Entry]) {
        state.withLock { state in
            let open = state.open.map { Entry(series: $0.key, window: $0.value) }.sorted { $0.series < $1.series }
            let recent = Array(state.recent[state.next...] + state.recent[..<state.next])
            return (open, recent)
        }
    }

    private static func decimal(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return String(rounded)
    }
}
