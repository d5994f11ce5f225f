import Strata

import Glibc

/// Generates a fleet of devices that behave like real ones: a daily cycle,
/// readings quantized to the sensor's resolution, noise, and a few devices
/// that misbehave (overheating, a stuck sensor), drop offline for a while,
/// jitter in their clocks, or deliver part of their data late.
struct FleetGenerator {
    struct Options {
        var devices = 1_000
        var interval: Int64 = 10_000
        var duration: Int64 = Milliseconds.day
        var start: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        var seed: UInt64 = 42
    }

    /// What happened to a device, so the demo can point at it.
    enum Incident: Equatable {
        case overheating(from: Int64, to: Int64)
        case stuckSensor(from: Int64)
        case offline(from: Int64, to: Int64)
    }

    /// A device's readings: the batch delivered on time and, for some, a
    /// block that arrives late (after the rest of the fleet).
    struct DeviceReadings {
        var name: String
        var onTime: WriteBatch
        var late: WriteBatch
        var incidents: [Incident]
    }

    static let metrics = ["temperature", "humidity", "vibration", "power_w"]

    let options: Options

    var pointsPerDevice: Int { Int(options.duration / options.interval) * Self.metrics.count }

    static func deviceName(_ index: Int) -> String {
        let digits = String(index)
        return "pump-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    func readings(ofDevice index: Int) throws -> DeviceReadings {
        var random = SplitMix64(seed: options.seed &* 1_000_003 &+ UInt64(index))
        let name = Self.deviceName(index)
        let steps = Int(options.duration / options.interval)
        var onTime = WriteBatch(capacity: steps * Self.metrics.count)
        var late = WriteBatch()
        let temperature = try onTime.series(device: name, metric: "temperature", type: .float64)
        let humidity = try onTime.series(device: name, metric: "humidity", type: .float64)
        let vibration = try onTime.series(device: name, metric: "vibration", type: .float64)
        let power = try onTime.series(device: name, metric: "power_w", type: .int64)

        // Each device gets its own climate and load.
        let baseTemperature = 18 + 8 * random.unit()
        let swing = 2 + 4 * random.unit()
        let basePower = 800 + 1_200 * random.unit()
        let jitters = random.unit() < 0.1

        var incidents: [Incident] = []
        let dice = random.unit()
        // In a fleet of two days or more, devices run a day before anything goes wrong, as
        // deployed devices do (and as the anomaly detector, which learns a day, expects).
        let settled: Int64 = options.duration >= 2 * Milliseconds.day ? Milliseconds.day : 0
        let incidentStart = options.start + settled + Int64(random.unit() * Double(options.duration - settled) * 0.7)
        if dice < 0.01 {
            incidents.append(.overheating(from: incidentStart, to: incidentStart + 45 * 60_000))
        } else if dice < 0.02 {
            incidents.append(.stuckSensor(from: incidentStart))
        } else if dice < 0.04 {
            incidents.append(.offline(from: incidentStart, to: incidentStart + Int64(30 + random.unit() * 90) * 60_000))
        }
        let lateBlock: Range<Int64>? = random.unit() < 0.05
            ? { let from = options.start + Int64(random.unit() * Double(options.duration) * 0.9); return from..<(from + 10 * 60_000) }()
            : nil
        if lateBlock != nil {
            _ = try late.series(device: name, metric: "temperature", type: .float64)
            _ = try late.series(device: name, metric: "humidity", type: .float64)
            _ = try late.series(device: name, metric: "vibration", type: .float64)
            _ = try late.series(device: name, metric: "power_w", type: .int64)
        }

        var stuckValue: Double?
        for step in 0..<steps {
            var time = options.start + Int64(step) * options.interval
            if jitters { time += Int64(random.next() % 41) - 20 }
            var overheating = 0.0
            var stuck = false
            var skip = false
            for incident in incidents {
                switch incident {
                case .overheating(let from, let to) where time >= from && time < to:
                    overheating = 60 * Double(time - from) / Double(to - from)
                case .stuckSensor(let from) where time >= from:
                    stuck = true
                case .offline(let from, let to) where time >= from && time < to:
                    skip = true
                default: break
                }
            }
            if skip { continue }
            let dayFraction = Double((time - options.start) % Milliseconds.day) / Double(Milliseconds.day)
            let cycle = sin(2 * Double.pi * (dayFraction - 0.3))
            var temperatureValue = ((baseTemperature + swing * cycle + 0.15 * random.noise() + overheating) * 10).rounded() / 10
            if stuck {
                if stuckValue == nil { stuckValue = temperatureValue }
                temperatureValue = stuckValue!
            }
            let humidityValue = ((55 - 12 * cycle + 0.8 * random.noise()) * 10).rounded() / 10
            let load = 0.6 + 0.4 * max(0, sin(2 * Double.pi * (dayFraction - 0.25)))
            let vibrationValue = (max(0, (0.04 + 0.02 * load + 0.004 * random.noise() + overheating * 0.002)) * 1000).rounded() / 1000
            let powerValue = Int64((basePower * load + 15 * random.noise()).rounded())

            if let lateBlock, lateBlock.contains(time) {
                try late.append(device: name, metric: "temperature", timestamp: time, value: temperatureValue)
                try late.append(device: name, metric: "humidity", timestamp: time, value: humidityValue)
                try late.append(device: name, metric: "vibration", timestamp: time, value: vibrationValue)
                try late.append(device: name, metric: "power_w", timestamp: time, value: powerValue)
            } else {
                onTime.append(series: temperature, timestamp: time, value: temperatureValue)
                onTime.append(series: humidity, timestamp: time, value: humidityValue)
                onTime.append(series: vibration, timestamp: time, value: vibrationValue)
                onTime.append(series: power, timestamp: time, value: powerValue)
            }
        }
        return DeviceReadings(name: name, onTime: onTime, late: late, incidents: incidents)
    }
}
