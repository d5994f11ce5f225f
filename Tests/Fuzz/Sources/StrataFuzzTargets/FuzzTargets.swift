@_spi(Fuzzing) import Strata
import StrataCodecs

import Glibc

/// What each fuzz target does with one input. A target returns normally on
/// any input the code under test rejects with its error type; it traps (a
/// finding) on a crash, a memory error (AddressSanitizer), a broken invariant
/// checked here, or any other thrown error.
///
/// The structured inputs (segment, log, manifest) start with one option byte:
/// when its low bit is set, the target rewrites the checksums (and the framing
/// they cover) of the rest before reading it, so mutations reach the parsers
/// behind the checksums; otherwise the bytes are read as they are.
public enum FuzzTargets {
    // MARK: Parsers

    /// `device,metric,ts_ms,value` CSV. Option byte: bit 0 Int64 values, bit 1 skip bad rows.
    public static func longCsv(_ data: UnsafeRawBufferPointer) {
        guard let (options, body) = split(data) else { return }
        let parser = LongCSVParser(valueType: options & 1 == 0 ? .float64 : .int64, skipsBadRows: options & 2 != 0)
        do throws(RowError) {
            let result = try parser.parse(body, file: "fuzz.csv")
            checkImport(result, inputBytes: body.count, skipsBadRows: parser.skipsBadRows)
        } catch {
            check(error.line >= 1, "row error with line \(error.line)")
        }
    }

    /// Wide CSV. Option byte: bit 0 Int64 values, bit 1 skip bad rows, bit 2 device from a column.
    public static func wideCsv(_ data: UnsafeRawBufferPointer) {
        guard let (options, body) = split(data) else { return }
        let device: WideCSVParser.DeviceSource = options & 4 == 0 ? .fixed("fuzz") : .column("device")
        let parser = WideCSVParser(device: device, timeColumn: "timestamp", valueType: options & 1 == 0 ? .float64 : .int64,
                                   skipsBadRows: options & 2 != 0)
        do throws(RowError) {
            let result = try parser.parse(body, file: "fuzz.csv")
            checkImport(result, inputBytes: body.count, skipsBadRows: parser.skipsBadRows)
        } catch {
            check(error.line >= 1, "row error with line \(error.line)")
        }
    }

    /// Influx line protocol. Option byte: bits 0-1 precision, bit 2 metric from the field alone,
    /// bit 3 tags in the metric, bit 4 a default timestamp, bit 5 skip bad rows.
    public static func lineProtocol(_ data: UnsafeRawBufferPointer) {
        guard let (options, body) = split(data) else { return }
        let precisions: [LineProtocolParser.Precision] = [.nanoseconds, .microseconds, .milliseconds, .seconds]
        var parser = LineProtocolParser(precision: precisions[Int(options & 3)], deviceTag: "host",
                                        metricNaming: options & 4 == 0 ? .measurementAndField : .field,
                                        skipsBadRows: options & 32 != 0)
        parser.tagsInMetric = options & 8 != 0
        parser.defaultTimestamp = options & 16 != 0 ? 1_700_000_000_000 : nil
        do throws(RowError) {
            let result = try parser.parse(body, file: "fuzz.lp")
            checkImport(result, inputBytes: body.count, skipsBadRows: parser.skipsBadRows)
        } catch {
            check(error.line >= 1, "row error with line \(error.line)")
        }
    }

    static func checkImport(_ result: ImportResult, inputBytes: Int, skipsBadRows: Bool) {
        check(result.errors.count <= result.badRowCount, "\(result.errors.count) errors reported of \(result.badRowCount) bad rows")
        check(skipsBadRows || result.badRowCount == 0, "bad rows counted without skipsBadRows")
        // Every point needs at least a byte of its own.
        check(result.batch.count <= inputBytes, "\(result.batch.count) points from \(inputBytes) bytes")
        check(result.lineCount >= 0 && result.lineCount <= inputBytes + 1, "\(result.lineCount) lines from \(inputBytes) bytes")
    }

    // MARK: Codecs

    /// Every chunk decoder, the compressed-payload wrapper and the encoders.
    ///
    /// Input: selector(1) count(2, little-endian) then the payload. Selectors
    /// 0...5 decode the payload with a codec (timestamp, timestamp-gap,
    /// gorilla, decimal, patched integer, per-block integer): it must return
    /// exactly `count` values or throw `CodecError`, and what it returns must
    /// survive encode → decode bit for bit. 6 and 7 expand the payload as a
    /// segment's compressed chunk does (a varint of the encoded length, then
    /// an LZ4 or zstd block) and decode the result with the codec chosen by
    /// `count`'s top bits. 8...13 read the payload as values, encode them with
    /// the codec of selector − 8 and check that they decode back bit for bit.
    public static func codecs(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 3 else { return }
        let selector = Int(data[0]) % 14
        let countField = Int(data[1]) | Int(data[2]) << 8
        let payload = UnsafeRawBufferPointer(rebasing: data[3...])
        switch selector {
        case 0...5:
            decode(payload, codec: selector, count: countField)
        case 6, 7:
            let block: BlockCompression = selector == 6 ? .lz4 : .zstd(level: 1)
            guard let (length, used) = readVarUInt(payload) else { return }
            // The segment reader's bound on an encoded chunk.
            guard length <= UInt64(65_536 * 20 + 64) else { return }
            let expanded: [UInt8]
            do throws(CompressionError) {
                expanded = try block.decompress(UnsafeRawBufferPointer(rebasing: payload[used...]), originalSize: Int(length))
            } catch {
                return
            }
            check(expanded.count == Int(length), "decompressed \(expanded.count) bytes, not the \(length) claimed")
            expanded.withUnsafeBytes { decode($0, codec: countField >> 13, count: countField & 0x1FFF) }
        default:
            encodeRoundTrip(payload, codec: selector - 8)
        }
    }

    static let codecNames = ["timestamp", "timestamp-gap", "gorilla", "decimal", "patched", "integer"]

    static func decode(_ payload: UnsafeRawBufferPointer, codec: Int, count: Int) {
        switch codec % 6 {
        case 0: decodeCheck(TimestampCodec.self, payload, count: count, codec: 0)
        case 1: decodeCheck(TimestampGapCodec.self, payload, count: count, codec: 1)
        case 2: decodeCheck(GorillaFloatCodec.self, payload, count: count, codec: 2)
        case 3: decodeCheck(DecimalFloatCodec.self, payload, count: count, codec: 3)
        case 4: decodeCheck(PatchedIntegerCodec.self, payload, count: count, codec: 4)
        default: decodeCheck(IntegerCodec.self, payload, count: count, codec: 5)
        }
    }

    static func decodeCheck<C: ColumnBufferCodec>(_: C.Type, _ payload: UnsafeRawBufferPointer, count: Int, codec: Int) {
        // An exact-size input buffer of its own, so reads past the payload hit ASan's redzone.
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: payload.count, alignment: 1)
        defer { input.deallocate() }
        input.copyMemory(from: payload)
        // The output exactly `count` long: a write past it is a heap overflow.
        let output = UnsafeMutableBufferPointer<C.Element>.allocate(capacity: count)
        defer { output.deallocate() }
        // Poison-free sentinel: fill with a byte pattern so reads of unwritten values are at least deterministic.
        UnsafeMutableRawBufferPointer(output).initializeMemory(as: UInt8.self, repeating: 0xA5)
        do throws(CodecError) {
            try C.decode(UnsafeRawBufferPointer(input), count: count, into: output)
        } catch {
            return
        }
        // Decoded values must encode and decode back to themselves.
        let values = Array(output)
        let encoded = C.encode(values)
        check(encoded.count <= C.maxEncodedSize(count: count), "\(codecNames[codec]): encoded \(encoded.count) bytes, over maxEncodedSize \(C.maxEncodedSize(count: count))")
        let again: [C.Element]
        do throws(CodecError) {
            again = try C.decode(encoded, count: count)
        } catch {
            fail("\(codecNames[codec]): re-encoded values do not decode: \(error)")
        }
        check(bitwiseEqual(values, again), "\(codecNames[codec]): \(count) decoded values change when encoded and decoded again")
    }

    static func encodeRoundTrip(_ payload: UnsafeRawBufferPointer, codec: Int) {
        let count = min(payload.count / 8, 65_536)
        switch codec {
        case 0, 1:
            // The time codecs take strictly increasing timestamps: read deltas.
            var values: [Int64] = []
            values.reserveCapacity(count)
            var time: Int64 = 0
            for i in 0..<count {
                let raw = payload.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
                let step = Int64(truncatingIfNeeded: UInt64(bitPattern: raw) % (1 << 40)) + 1
                let (next, overflow) = time.addingReportingOverflow(i == 0 ? raw : step)
                if overflow { break }
                time = next
                values.append(time)
            }
            if codec == 0 { roundTrip(TimestampCodec.self, values, codec: 0) } else { roundTrip(TimestampGapCodec.self, values, codec: 1) }
        case 2, 3:
            var values: [Double] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                let raw = payload.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                // Half the inputs as short decimals (what the decimal codec is for), half as raw bits.
                if raw & 1 == 0 {
                    values.append(Double(Int64(bitPattern: raw) >> 20) / 100)
                } else {
                    values.append(Double(bitPattern: raw))
                }
            }
            if codec == 2 { roundTrip(GorillaFloatCodec.self, values, codec: 2) } else { roundTrip(DecimalFloatCodec.self, values, codec: 3) }
        default:
            var values: [Int64] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                let raw = payload.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
                // Small shifts make runs, small ranges and outliers (patched exceptions).
                values.append(raw >> Int64(UInt64(bitPattern: raw) & 63))
            }
            if codec == 4 { roundTrip(PatchedIntegerCodec.self, values, codec: 4) } else { roundTrip(IntegerCodec.self, values, codec: 5) }
        }
    }

    static func roundTrip<C: ColumnBufferCodec>(_: C.Type, _ values: [C.Element], codec: Int) {
        let encoded = C.encode(values)
        check(encoded.count <= C.maxEncodedSize(count: values.count), "\(codecNames[codec]): encoded \(encoded.count) bytes, over maxEncodedSize")
        do throws(CodecError) {
            let decoded = try C.decode(encoded, count: values.count)
            check(bitwiseEqual(values, decoded), "\(codecNames[codec]): \(values.count) values do not round-trip")
        } catch {
            fail("\(codecNames[codec]): encoded values do not decode: \(error)")
        }
        // Truncated or extended by one byte it must still throw or return the count.
        if !encoded.isEmpty {
            _ = try? C.decode(Array(encoded.dropLast()), count: values.count)
        }
        _ = try? C.decode(encoded, count: values.count + 1)
    }

    static func bitwiseEqual<T: BitwiseCopyable>(_ a: [T], _ b: [T]) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    // MARK: Segment, log, manifest

    /// A whole segment file: open (header, footer, directory or index),
    /// list devices and their series, describe every chunk, verify every chunk.
    public static func segment(_ data: UnsafeRawBufferPointer) {
        guard let (options, body) = split(data) else { return }
        var bytes = Array(body)
        if options & 1 != 0 { Fixups.segment(&bytes) }
        let path = scratch.file("0000000001.seg", bytes)
        let file: SegmentFile
        do throws(StrataError) {
            file = try SegmentFile(path: path)
        } catch {
            checkCorrupt(error)
            return
        }
        for name in file.deviceNames {
            do throws(StrataError) {
                let series = try file.series(ofDevice: name)
                for entry in series { check(entry.pointCount >= 0, "negative point count") }
            } catch {
                checkCorrupt(error)
            }
        }
        let chunks = file.chunkDescriptions()
        for chunk in chunks {
            check(chunk.pointCount >= 0 && chunk.byteCount >= 0, "chunk with \(chunk.pointCount) points of \(chunk.byteCount) bytes")
        }
        _ = file.verifyChunks()
    }

    /// A log directory holding one file, replayed by a reader.
    public static func wal(_ data: UnsafeRawBufferPointer) {
        guard let (options, body) = split(data) else { return }
        var bytes = Array(body)
        if options & 1 != 0 { Fixups.wal(&bytes) }
        _ = scratch.file("wal/0000000001.wal", bytes)
        do throws(StrataError) {
            var points = 0
            let outcome = try FuzzingEntryPoints.replayLog(directory: scratch.path + "/wal", reportsTornTails: options & 2 != 0) { batch in
                points += batch.count
            }
            check(outcome.points == points, "replay counts \(outcome.points) points but applied \(points)")
        } catch {
            checkCorrupt(error)
        }
    }

    /// A `MANIFEST` file: decoded, and what decodes must re-encode to itself.
    public static func manifest(_ data: UnsafeRawBufferPointer) {
        guard let (options, body) = split(data) else { return }
        var bytes = Array(body)
        if options & 1 != 0 { Fixups.manifest(&bytes) }
        do throws(StrataError) {
            let encoded = try FuzzingEntryPoints.decodeManifest(bytes)
            let again = try FuzzingEntryPoints.decodeManifest(encoded)
            check(again == encoded, "a manifest's encoding is not stable")
        } catch {
            checkCorrupt(error)
        }
    }

    static func checkCorrupt(_ error: StrataError) {
        check(error.code == .corruptFile || error.code == .unsupportedVersion, "unexpected error for damaged input: \(error)")
    }

    // MARK: Support

    static func split(_ data: UnsafeRawBufferPointer) -> (UInt8, UnsafeRawBufferPointer)? {
        guard data.count >= 1 else { return nil }
        return (data[0], UnsafeRawBufferPointer(rebasing: data[1...]))
    }

    static func readVarUInt(_ bytes: UnsafeRawBufferPointer) -> (UInt64, Int)? {
        var value: UInt64 = 0, shift: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            guard shift < 64 else { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (value, i + 1) }
            shift += 7
        }
        return nil
    }

    static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fail(message()) }
    }

    static func fail(_ message: String) -> Never {
        fatalError("fuzz invariant broken: \(message)")
    }

    nonisolated(unsafe) static let scratch = Scratch()

    /// Runs `target` on each file named on the command line (the plain,
    /// non-fuzzing build of a target): reproduces a finding without libFuzzer.
    public static func replay(_ target: (UnsafeRawBufferPointer) -> Void) {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: \(CommandLine.arguments[0]) INPUT... (runs the target once on each input file)")
            exit(2)
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                exit(2)
            }
            bytes.withUnsafeBytes { target($0) }
            print("\(path): ok")
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }
}

/// A private temporary directory for the targets that read files, removed at exit.
final class Scratch {
    let path: String

    init() {
        var template = Array("/tmp/strata-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
        path = String(cString: made)
        mkdir(path + "/wal", 0o700)
        let captured = path
        Scratch.removeAtExit = captured
        atexit { if let path = Scratch.removeAtExit { Scratch.remove(path) } }
    }

    nonisolated(unsafe) static var removeAtExit: String?

    /// Replaces `name` (relative to the directory) with `bytes`; returns its path.
    func file(_ name: String, _ bytes: [UInt8]) -> String {
        let full = path + "/" + name
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("cannot create \(full)") }
        var written = 0
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                guard n > 0 else { fatalError("cannot write \(full)") }
                written += n
            }
        }
        close(fd)
        return full
    }

    static func remove(_ path: String) {
        unlink(path + "/0000000001.seg")
        unlink(path + "/wal/0000000001.wal")
        rmdir(path + "/wal")
        rmdir(path)
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

extension FuzzTargets {
    /// Runs libFuzzer's driver (its command line, its corpus handling) with `callback` as the target.
    public static func runLibFuzzer(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, callback)
    }
}
#endif
