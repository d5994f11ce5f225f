import Strata

import Glibc

/// Generates a fleet's readings in the order a collector receives them: time
/// step by time step, every device reporting once per step, rather than
/// series by series as ``FleetGenerator`` does for the demo.
///
/// The readings behave like ``FleetGenerator``'s: a daily cycle, values
/// rounded to the sensor's resolution, noise, a few devices that overheat,
/// get a stuck temperature sensor or go offline for a while (a gap: those
/// readings are never produced), some clock jitter, and devices whose block
/// of ten minutes arrives late, half an hour after it was measured.
///
/// Memory grows with the number of devices (a small profile each) and the
/// late readings waiting for delivery, never with the total number of points:
/// each step is produced on demand.
struct FleetArrivalGenerator {
    struct Options {
        var devices = 1_000
        var metrics = 4
        var interval: Int64 = 60_000
        var duration: Int64 = Milliseconds.day
        var start: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        var seed: UInt64 = 42
    }

    /// The kinds of sensor a device carries; metric `i` is of kind `i % 4`.
    enum Kind: Int, CaseIterable {
        case temperature, humidity, vibration, power

        var name: String {
            switch self {
            case .temperature: "temperature"
            case .humidity: "humidity"
            case .vibration: "vibration"
            case .power: "power_w"
            }
        }
    }

    /// What makes one device differ from the others; fixed when the fleet is made.
    private struct DeviceProfile {
        var baseTemperature: Double
        var swing: Double
        var basePower: Double
        var jitters: Bool
        var overheating: Range<Int64>?
        var stuckFrom: Int64?
        var offline: Range<Int64>?
        var late: Range<Int64>?
        /// The temperature the stuck sensor keeps repeating, once it is stuck.
        var stuckValue: Double?
    }

    /// A reading held back until its delivery time.
    private struct LateReading {
        var device: Int32
        var metric: Int32
        var timestamp: Int64
        var value: Double
        var due: Int64
    }

    /// How long a late block waits after its end before it is delivered.
    static let lateDelay: Int64 = 30 * 60_000
    /// How long a late block lasts.
    static let lateBlockLength: Int64 = 10 * 60_000

    let options: Options
    let deviceNames: [String]
    let metricNames: [String]
    /// Time steps in the run: readings at `start + step × interval`.
    let steps: Int
    private var profiles: [DeviceProfile]
    private var random: SplitMix64
    private var pending: [LateReading] = []
    /// Readings never produced because their device was offline.
    private(set) var gapPoints = 0
    /// Readings produced late (after readings of later steps).
    private(set) var latePoints = 0

    init(options: Options) {
        self.options = options
        steps = Int(options.duration / options.interval)
        let width = max(4, String(options.devices - 1).count)
        deviceNames = (0..<options.devices).map { index in
            let digits = String(index)
            return "pump-" + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        metricNames = (0..<options.metrics).map { index in
            let kind = Kind(rawValue: index % 4)!
            return index < 4 ? kind.name : "\(kind.name)-\(index / 4)"
        }
        random = SplitMix64(seed: options.seed)
        profiles = []
        profiles.reserveCapacity(options.devices)
        for index in 0..<options.devices {
            // A generator per device, so a device's profile does not depend on the fleet's size.
            var dice = SplitMix64(seed: options.seed &* 1_000_003 &+ UInt64(index))
            var profile = DeviceProfile(
                baseTemperature: 18 + 8 * dice.unit(), swing: 2 + 4 * dice.unit(), basePower: 800 + 1_200 * dice.unit(),
                jitters: dice.unit() < 0.1)
            let incident = dice.unit()
            let incidentStart = options.start + Int64(dice.unit() * Double(options.duration) * 0.7)
            if incident < 0.01 {
                profile.overheating = incidentStart..<(incidentStart + 45 * 60_000)
            } else if incident < 0.02 {
                profile.stuckFrom = incidentStart
            } else if incident < 0.04 {
                profile.offline = incidentStart..<(incidentStart + Int64(30 + dice.unit() * 90) * 60_000)
            }
            if dice.unit() < 0.05 {
                let from = options.start + Int64(dice.unit() * Double(options.duration) * 0.9)
                profile.late = from..<(from + Self.lateBlockLength)
            }
            profiles.append(profile)
        }
    }

    /// Produces the readings that arrive during time step `step`: one reading
    /// of each metric from every device online, then the late readings that
    /// fall due at this step. After the last step, call ``finish(_:)``.
    mutating func arrivals<Sink: FleetReadingSink>(atStep step: Int, into sink: inout Sink) throws {
        let stepTime = options.start + Int64(step) * options.interval
        let dayFraction = Double((stepTime - options.start) % Milliseconds.day) / Double(Milliseconds.day)
        let cycle = sin(2 * Double.pi * (dayFraction - 0.3))
        let load = 0.6 + 0.4 * max(0, sin(2 * Double.pi * (dayFraction - 0.25)))
        for device in 0..<options.devices {
            // A copy for reading; the one field that changes is written back where it does.
            var profile = profiles[device]
            if let offline = profile.offline, offline.contains(stepTime) {
                gapPoints += options.metrics
                continue
            }
            // Jitter of ±20 ms stays far below the interval (at least a second), so it never reorders a series.
            let time = profile.jitters ? stepTime + Int64(random.next() % 41) - 20 : stepTime
            var overheating = 0.0
            if let range = profile.overheating, range.contains(stepTime) {
                overheating = 60 * Double(stepTime - range.lowerBound) / Double(range.count)
            }
            let isLate = profile.late?.contains(stepTime) ?? false
            for metric in 0..<options.metrics {
                // Further sensors of a kind sit elsewhere on the pump: offset a little so they differ.
                let instance = Double(metric / 4)
                let value: Double
                switch Kind(rawValue: metric % 4)! {
                case .temperature:
                    var reading = ((profile.baseTemperature + 1.5 * instance + profile.swing * cycle + 0.15 * random.quickNoise() + overheating) * 10).rounded() / 10
                    if metric == 0, let stuckFrom = profile.stuckFrom, stepTime >= stuckFrom {
                        if profile.stuckValue == nil {
                            profile.stuckValue = reading
                            profiles[device] = profile
                        }
                        reading = profile.stuckValue!
                    }
                    value = reading
                case .humidity:
                    value = ((55 - 3 * instance - 12 * cycle + 0.8 * random.quickNoise()) * 10).rounded() / 10
                case .vibration:
                    value = (max(0, 0.04 + 0.005 * instance + 0.02 * load + 0.004 * random.quickNoise() + overheating * 0.002) * 1000).rounded() / 1000
                case .power:
                    value = (profile.basePower * (1 + 0.1 * instance) * load + 15 * random.quickNoise()).rounded()
                }
                if isLate {
                    pending.append(LateReading(
                        device: Int32(device), metric: Int32(metric), timestamp: time, value: value,
                        due: profile.late!.upperBound + Self.lateDelay))
                } else {
                    try sink.deliver(device: device, metric: metric, timestamp: time, value: value)
                }
            }
        }
        if !pending.isEmpty { try deliverPending(dueBy: stepTime, into: &sink) }
    }

    /// Delivers the late readings still waiting when the run ends.
    mutating func finish<Sink: FleetReadingSink>(into sink: inout Sink) throws {
        try deliverPending(dueBy: .max, into: &sink)
    }

    private mutating func deliverPending<Sink: FleetReadingSink>(dueBy now: Int64, into sink: inout Sink) throws {
        var waiting: [LateReading] = []
        for reading in pending {
            if reading.due <= now {
                try sink.deliver(device: Int(reading.device), metric: Int(reading.metric), timestamp: reading.timestamp, value: reading.value)
                latePoints += 1
            } else {
                waiting.append(reading)
            }
        }
        pending = waiting
    }
}

/// Where ``FleetArrivalGenerator`` delivers readings. A generic sink rather
/// than a closure: the bench's loop then runs without a captured variable
/// (whose every access the runtime checks for exclusivity) per reading.
protocol FleetReadingSink {
    mutating func deliver(device: Int, metric: Int, timestamp: Int64, value: Double) throws
}
