import ArgumentParser
import FleetServiceCore
import Hummingbird
import Strata

import Glibc

/// The value of the environment variable `name`, if set.
private func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// Writes a line to standard error, unbuffered, so a supervising script sees it at once.
private func report(_ line: String) {
    let text = "FleetService: " + line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

/// Serves one Strata store over HTTP until SIGTERM or SIGINT, then closes it.
@main
struct FleetService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An HTTP service for device metrics: InfluxDB line protocol in, JSON out, stored in one Strata store.",
        discussion: "Each option's default may also be set by the environment variable in brackets.")

    @Option(help: "The store's directory, created when missing [FLEET_STORE].")
    var store = environment("FLEET_STORE") ?? "fleet.strata"

    @Option(help: "The address to listen on [FLEET_HOSTNAME].")
    var hostname = environment("FLEET_HOSTNAME") ?? "127.0.0.1"

    @Option(help: "The port to listen on [FLEET_PORT].")
    var port = environment("FLEET_PORT").flatMap { Int($0) } ?? 8080

    @Option(help: "When a write is acknowledged: every-batch (after fsync), interval:MS (a crash may lose MS of writes) or none (a power loss may lose recent writes) [FLEET_DURABILITY].")
    var durability = environment("FLEET_DURABILITY") ?? "every-batch"

    @Option(help: "Threads for blocking store calls; appends waiting together share one fsync [FLEET_STORE_THREADS].")
    var storeThreads = environment("FLEET_STORE_THREADS").flatMap { Int($0) } ?? 16

    @Option(help: "The largest write body accepted, in bytes.")
    var maximumBodyBytes = 16 << 20

    @Option(help: "Live anomaly detection of every write by the automatic detector, logged and served at /anomalies/live: on or off [FLEET_LIVE_ANOMALIES].")
    var liveAnomalies = environment("FLEET_LIVE_ANOMALIES") ?? "on"

    @Option(help: "This instance's shard, I/N: it stores the devices Strata's ShardMap puts on shard I of N (FNV-1a of the name) and answers 421 for any other; default: every device [FLEET_SHARD].")
    var shard = environment("FLEET_SHARD")

    func validate() throws {
        _ = try parsedDurability()
        _ = try parsedShard()
        guard storeThreads > 0 else { throw ValidationError("--store-threads must be positive") }
        guard liveAnomalies == "on" || liveAnomalies == "off" else {
            throw ValidationError("--live-anomalies must be on or off, not \(liveAnomalies)")
        }
    }

    private func parsedDurability() throws -> Strata.Configuration.Durability {
        switch durability {
        case "every-batch": return .everyBatch
        case "none": return .none
        case _ where durability.hasPrefix("interval:"):
            if let milliseconds = Int(durability.dropFirst("interval:".count)), milliseconds > 0 {
                return .interval(milliseconds: milliseconds)
            }
        default: break
        }
        throw ValidationError("--durability must be every-batch, interval:MILLISECONDS or none, not \(durability)")
    }

    private func parsedShard() throws -> ShardAssignment? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ValidationError("--shard must be I/N (this instance's shard of N, from 0), not \(shard)")
        }
        do {
            return try ShardAssignment(map: ShardMap(shardCount: count), index: index)
        } catch {
            throw ValidationError("--shard \(shard): \(error.message)")
        }
    }

    func run() async throws {
        var configuration = Strata.Configuration()
        configuration.durability = try parsedDurability()
        // Opening replays the write-ahead log: after a crash, every acknowledged point is back.
        let opened = try Store(at: store, configuration: configuration)
        let recovery = opened.recovery
        report("store \(store) open; recovered \(recovery.points) points from \(recovery.files) log files in \(recovery.milliseconds) ms")
        let workers = StoreWorkers(store: opened, threads: storeThreads)
        // The automatic detector on every series written from now on (points already in the store
        // are not replayed into it); events are logged as they happen.
        let live = liveAnomalies == "on" ? try LiveAnomalies(log: { report($0) }) : nil
        report("live anomaly detection \(live == nil ? "off" : "on")")
        let assignment = try parsedShard()
        if let assignment { report("shard \(assignment.index) of \(assignment.map.shardCount)") }

        let app = Application(
            router: FleetRoutes(workers: workers, maximumBodyBytes: maximumBodyBytes, live: live, shard: assignment).router(),
            configuration: .init(address: .hostname(hostname, port: port), serverName: "FleetService"))
        // runService returns once SIGTERM or SIGINT has stopped the server and its requests
        // have finished; only then is the store closed, so no append races the close.
        do {
            try await app.runService()
        } catch {
            try? await workers.shutDown()
            throw error
        }
        try await workers.shutDown()
        report("store \(store) closed")
    }
}
