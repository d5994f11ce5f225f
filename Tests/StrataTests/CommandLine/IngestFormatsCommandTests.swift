import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("strata ingest: line protocol and wide CSV")
struct IngestFormatsCommandTests {
    @Test("Line protocol in, the same points out, with each type and escaping")
    func lineProtocol() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let input = directory.appending("telegraf.lp")
        try """
            # Telegraf-style output, seconds precision
            cpu,cpu=cpu-total,host=web\\ 1 usage_idle=97.5,usage_user=1.25 1709294400
            cpu,cpu=cpu-total,host=web\\ 1 usage_idle=96.75,usage_user=2.0000000000000004 1709294410

            mem,host=web\\ 1 used=1073741824i,free=42u,swapping=false 1709294400
            mem,host=web\\ 1 used=1073741825i,free=41u,swapping=T 1709294410
            """.write(toFile: input, atomically: true, encoding: .utf8)
        let ingest = try CommandRunner.run(["ingest", store, input, "--format", "lp", "--precision", "s"])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        #expect(ingest.standardOutput.contains("ingested 10 points"))

        let expected = [
            ("cpu.usage_idle", "1709294400000,97.5\n", "1709294410000,96.75\n"),
            ("cpu.usage_user", "1709294400000,1.25\n", "1709294410000,2.0000000000000004\n"),
            ("mem.used", "1709294400000,1073741824\n", "1709294410000,1073741825\n"),
            ("mem.free", "1709294400000,42\n", "1709294410000,41\n"),
            ("mem.swapping", "1709294400000,0\n", "1709294410000,1\n"),
        ]
        for (metric, first, second) in expected {
            let query = try CommandRunner.run(["query", store, "--device", "web 1", "--metric", metric, "--format", "csv"])
            #expect(query.status == 0, "\(query.standardError)")
            #expect(query.standardOutput == "device,metric,ts_ms,value\nweb 1,\(metric),\(first)web 1,\(metric),\(second)")
        }
    }

    @Test("Line protocol errors carry line and column; a type change names both lines")
    func lineProtocolErrors() throws {
        let directory = TemporaryDirectory()
        let input = directory.appending("bad.lp")
        try "m,host=h v=1i 1\nm,host=h v=2.5 2\n".write(toFile: input, atomically: true, encoding: .utf8)
        let run = try CommandRunner.run(["ingest", directory.appending("store"), input, "--format", "lp"])
        #expect(run.status == 2)
        #expect(run.standardError == "strata: \(input):2:10: field \"v\" is a float (Float64) here but was an integer or boolean (Int64) on line 1; a series holds one value type\n")

        try "m,site=s v=1 1\nm,host=h v=2 2\n".write(toFile: input, atomically: true, encoding: .utf8)
        let tag = try CommandRunner.run(["ingest", directory.appending("store"), input, "--format", "lp", "--device-tag", "site", "--skip-bad-rows"])
        #expect(tag.status == 0, "\(tag.standardError)")
        #expect(tag.standardError.contains("bad.lp:2:1: the line has no site tag"))
        let missingTime = try CommandRunner.run(["ingest", directory.appending("store2"), "-", "--format", "lp"], input: Data("m,host=h v=1\n".utf8))
        #expect(missingTime.status == 2)
        #expect(missingTime.standardError.contains("-:1:13: the line has no timestamp"))
        let now = try CommandRunner.run(["ingest", directory.appending("store2"), "-", "--format", "lp", "--default-time", "now"], input: Data("m,host=h v=1\n".utf8))
        #expect(now.status == 0, "\(now.standardError)")
    }

    @Test("Wide CSV in, the same points out, empty cells skipped")
    func wideCSV() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let input = directory.appending("wide.csv")
        try """
            station,timestamp,temp,rain
            north,2024-03-01T12:00:00Z,-0.5,0
            north,2024-03-01T14:00:00.5+01:00,,0.2
            south,1709294400000,4.25,
            """.write(toFile: input, atomically: true, encoding: .utf8)
        let ingest = try CommandRunner.run(["ingest", store, input, "--format", "wide", "--device-column", "station"])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        #expect(ingest.standardOutput.contains("ingested 4 points"))
        let north = try CommandRunner.run(["query", store, "--device", "north", "--metric", "rain", "--format", "csv"])
        #expect(north.standardOutput == "device,metric,ts_ms,value\nnorth,rain,1709294400000,0.0\nnorth,rain,1709298000500,0.2\n")
        let temp = try CommandRunner.run(["query", store, "--device", "north", "--metric", "temp", "--format", "csv"])
        #expect(temp.standardOutput == "device,metric,ts_ms,value\nnorth,temp,1709294400000,-0.5\n")
        let south = try CommandRunner.run(["query", store, "--device", "south", "--metric", "temp", "--format", "csv"])
        #expect(south.standardOutput == "device,metric,ts_ms,value\nsouth,temp,1709294400000,4.25\n")

        let fixed = try CommandRunner.run(["ingest", directory.appending("fixed"), input, "--format", "wide", "--device", "lab", "--time-column", "timestamp"])
        // With a fixed device, `station` is one more metric column, and its text is not a number.
        #expect(fixed.status == 2)
        #expect(fixed.standardError == "strata: \(input):2: station \"north\" is not a decimal number\n")
        let noDevice = try CommandRunner.run(["ingest", directory.appending("x"), input, "--format", "wide"])
        #expect(noDevice.status == 64)
        #expect(noDevice.standardError.contains("needs the device"))
    }
}
