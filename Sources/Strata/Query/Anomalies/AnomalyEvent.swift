/// A change in the anomaly windows of one series, as ``AnomalyMonitor`` sees
/// the points arrive.
///
/// Each window is opened once and closed once, in that order (both may come
/// from the same point); the closed windows of a series, in order, are exactly
/// what ``Store/anomalies(device:metric:options:)`` finds over the same points.
public enum AnomalyEvent: Sendable, Equatable {
    /// A window began (or, with a minimum duration, has just lasted it): the
    /// window so far. Later points may still extend it.
    case opened(device: String, metric: String, window: AnomalyWindow)
    /// A window is final: no later point can join it any more (the next one
    /// came more than the merge gap after its end, or the series was flushed).
    case closed(device: String, metric: String, window: AnomalyWindow)

    /// The window the event is about.
    public var window: AnomalyWindow {
        switch self {
        case .opened(_, _, let window), .closed(_, _, let window): window
        }
    }

    /// The series the event is about.
    public var series: SeriesKey {
        switch self {
        case .opened(let device, let metric, _), .closed(let device, let metric, _): SeriesKey(device: device, metric: metric)
        }
    }
}
