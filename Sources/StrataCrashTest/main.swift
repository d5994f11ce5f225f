// strata-crash-test: kills a writer at random moments and checks that every
// acknowledged point survives exactly once.
//
//   strata-crash-test run --store DIR [--kills N] [--seed S]
//   strata-crash-test child DIR FIRST_BATCH SEED     (started by `run`)
//
// The child appends deterministic batches (batch b holds points b*10_000+j of
// series dev-(b % 5)/m) with small flush thresholds, so kills land in appends,
// in log rotations and in segment writes, and prints "ACK b" after each append
// returns. The parent SIGKILLs it after a random delay, reopens the store
// (which must always open), and checks every acknowledged batch point by point.
import Foundation
import Strata

#if canImport(Glibc)
import Glibc
#endif

let devices = 5

/// The value of point `j` of batch `b`: a hash, so a wrong or shifted value is caught.
func value(batch: Int, index: Int) -> Double {
    var z = UInt64(batch) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Double(z >> 11) * 0x1p-53 * 1000
}

func batchSize(_ batch: Int, seed: UInt64) -> Int {
    var z = (UInt64(batch) ^ seed) &* 0xD6E8_FEB8_6659_FD93
    z ^= z >> 32
    return 1 + Int(z % 400)
}

func configuration() -> Configuration {
    var configuration = Configuration()
    configuration.headFlushThreshold = 4_000
    configuration.pointsPerChunk = 256
    return configuration
}

func standardOutput(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(1, $0.baseAddress, $0.count) }
}

func runChild(store path: String, firstBatch: Int, seed: UInt64) -> Never {
    do {
        let store = try Store(at: path, configuration: configuration())
        let torn = store.recovery.problems.filter { $0.message.contains("torn tail") }.count
        standardOutput("OPENED \(torn) \(store.recovery.problems.count - torn)\n")
        for problem in store.recovery.problems where !problem.message.contains("torn tail") {
            standardOutput("PROBLEM \(problem)\n")
        }
        var batch = firstBatch
        while true {
            let size = batchSize(batch, seed: seed)
            var writeBatch = WriteBatch(capacity: size)
            let series = try writeBatch.series(device: "dev-\(batch % devices)", metric: "m", type: .float64)
            for index in 0..<size {
                writeBatch.append(series: series, timestamp: Int64(batch) * 10_000 + Int64(index), value: value(batch: batch, index: index))
            }
            try store.append(writeBatch)
            standardOutput("ACK \(batch)\n")
            if batch % 37 == 0 { try store.flush() }
            batch += 1
        }
    } catch {
        standardOutput("ERROR \(error)\n")
        exit(3)
    }
}

struct Totals {
    var kills = 0
    var opens = 0
    var acknowledgedBatches = 0
    var pointsChecked = 0
    var lost = 0
    var wrong = 0
    var unexpected = 0
    var tornTails = 0
    var childRecoveries = 0
    var stores = 1
    var damaged = 0
    var openFailures = 0
}

/// Checks the store against every acknowledged batch; returns the batches found (acknowledged or not).
func verify(_ store: Store, acknowledgedThrough last: Int, seed: UInt64, totals: inout Totals) throws -> Int {
    var present = last
    for device in 0..<devices {
        let points = try store.query(device: "dev-\(device)", metric: "m")
        var byBatch: [Int: [(Int, Double)]] = [:]
        for point in points {
            let batch = Int(point.timestamp / 10_000), index = Int(point.timestamp % 10_000)
            guard case .float64(let number) = point.value else { totals.wrong += 1; continue }
            byBatch[batch, default: []].append((index, number))
        }
        for (batch, entries) in byBatch {
            if batch > last + 1 || batch % devices != device { totals.unexpected += entries.count; continue }
            // The batch in flight at the kill may be present (whole) or absent.
            let size = batchSize(batch, seed: seed)
            if entries.count != size { totals.wrong += 1 }
            for (index, number) in entries where number.bitPattern != value(batch: batch, index: index).bitPattern {
                totals.wrong += 1
            }
            if batch == last + 1 { present = last + 1 }
        }
        var batch = device
        while batch <= last {
            let size = batchSize(batch, seed: seed)
            let found = byBatch[batch]?.count ?? 0
            if found < size { totals.lost += size - found }
            totals.pointsChecked += size
            batch += devices
        }
    }
    return present
}

/// A writer's open, a full check, a clean close, and a check after reopening.
func finalCheck(_ path: String, acknowledged: Int, seed: UInt64, totals: inout Totals) {
    guard acknowledged >= 0 else { return }
    do {
        let store = try Store(at: path, configuration: configuration())
        _ = try verify(store, acknowledgedThrough: acknowledged, seed: seed, totals: &totals)
        try store.close()
        let reopened = try Store(at: path, configuration: configuration(), mode: .readOnly)
        _ = try verify(reopened, acknowledgedThrough: acknowledged, seed: seed, totals: &totals)
    } catch {
        print("final writer open, check and close failed: \(error)")
        totals.openFailures += 1
    }
}

func runParent(store path: String, kills: Int, seed: UInt64) -> Int32 {
    var random = UInt64(seed)
    func nextRandom() -> UInt64 {
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        return z ^ (z >> 27)
    }
    try? FileManager.default.removeItem(atPath: path)
    var totals = Totals()
    var acknowledged = -1
    let started = Date()
    for round in 0..<kills {
        // A fresh store every 250 kills keeps each check's cost bounded.
        if round > 0 && round % 250 == 0 {
            finalCheck(path, acknowledged: acknowledged, seed: seed, totals: &totals)
            try? FileManager.default.removeItem(atPath: path)
            acknowledged = -1
            totals.stores += 1
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["child", path, String(acknowledged + 1), String(seed)]
        let pipe = Pipe()
        child.standardOutput = pipe
        do { try child.run() } catch {
            print("cannot start the child: \(error)")
            return 2
        }
        usleep(useconds_t(5_000 + nextRandom() % 120_000))
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if output.contains("ERROR") {
            print("round \(round): the child failed: \(output.split(separator: "\n").last ?? "")")
            totals.openFailures += 1
        }
        if let last = output.split(separator: "\n").last(where: { $0.hasPrefix("ACK ") }), let batch = Int(last.dropFirst(4)) {
            totals.acknowledgedBatches += batch - acknowledged
            acknowledged = batch
        }
        totals.kills += 1
        if let opened = output.split(separator: "\n").first(where: { $0.hasPrefix("OPENED ") }) {
            // The child's open is the writer's recovery: it repairs torn tails.
            let counts = opened.split(separator: " ").dropFirst().compactMap { Int($0) }
            totals.childRecoveries += 1
            totals.tornTails += counts.first ?? 0
            totals.damaged += counts.last ?? 0
        }
        for line in output.split(separator: "\n") where line.hasPrefix("PROBLEM ") {
            print("round \(round): recovery reported: \(line.dropFirst(8))")
        }
        do {
            // A read-only open sees the store exactly as the kill left it (and takes no
            // lock, so the next child never waits for the checker).
            let store = try Store(at: path, configuration: configuration(), mode: .readOnly)
            totals.opens += 1
            _ = try verify(store, acknowledgedThrough: acknowledged, seed: seed, totals: &totals)
        } catch where acknowledged < 0 && (error as? StrataError)?.code == .invalidArgument {
            // Killed before the store was created: nothing was acknowledged, nothing to check.
            totals.opens += 1
        } catch {
            print("round \(round): the store did not open or read: \(error)")
            totals.openFailures += 1
        }
        if (round + 1) % 100 == 0 {
            print("after \(round + 1) kills: \(totals.acknowledgedBatches) batches acknowledged, \(totals.pointsChecked) point checks, lost \(totals.lost), wrong \(totals.wrong)")
            fflush(nil)
        }
    }
    finalCheck(path, acknowledged: acknowledged, seed: seed, totals: &totals)
    let seconds = Date().timeIntervalSince(started)
    print("""
        kills: \(totals.kills) (over \(totals.stores) store\(totals.stores == 1 ? "" : "s"), a fresh one every 250 kills)
        store opened (read-only check) after a kill: \(totals.opens) of \(totals.kills)
        writer opens with recovery that completed before the next kill: \(totals.childRecoveries)
        batches acknowledged: \(totals.acknowledgedBatches)
        acknowledged points checked (cumulative over all checks): \(totals.pointsChecked)
        lost: \(totals.lost)
        wrong value or partial batch: \(totals.wrong)
        unexpected points: \(totals.unexpected)
        torn log tails repaired by a writer's recovery: \(totals.tornTails)
        other recovery reports: \(totals.damaged)
        failures to open or run: \(totals.openFailures)
        time: \(String(format: "%.1f", seconds)) s
        """)
    let clean = totals.lost == 0 && totals.wrong == 0 && totals.unexpected == 0 && totals.openFailures == 0 && totals.opens == totals.kills
    print(clean ? "PASS" : "FAIL")
    return clean ? 0 : 1
}

let arguments = CommandLine.arguments
if arguments.count >= 5, arguments[1] == "child", let first = Int(arguments[3]), let seed = UInt64(arguments[4]) {
    runChild(store: arguments[2], firstBatch: first, seed: seed)
}
var store = NSTemporaryDirectory() + "strata-crash-test"
var kills = 100
var seed: UInt64 = 1
var index = 2
while index < arguments.count {
    switch arguments[index] {
    case "--store": store = arguments[index + 1]; index += 2
    case "--kills": kills = Int(arguments[index + 1]) ?? kills; index += 2
    case "--seed": seed = UInt64(arguments[index + 1]) ?? seed; index += 2
    default:
        print("usage: strata-crash-test run [--store DIR] [--kills N] [--seed S]")
        exit(64)
    }
}
guard arguments.count >= 2, arguments[1] == "run" else {
    print("usage: strata-crash-test run [--store DIR] [--kills N] [--seed S]")
    exit(64)
}
exit(runParent(store: store, kills: kills, seed: seed))
