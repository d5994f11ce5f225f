import Foundation
import StrataTestSupport

/// Seeded generators and shape catalogues shared by the codec tests, so every
/// failure reproduces from its seed.

/// Sizes that cross the codecs' internal boundaries (blocks of 128, runs of 1024).
let boundarySizes = [0, 1, 2, 3, 7, 8, 9, 127, 128, 129, 255, 256, 257, 1023, 1024, 1025, 2049, 5000]

/// Named Int64 sequences of the given length covering the shapes a column sees.
func integerShapes(count n: Int, seed: UInt64) -> [(String, [Int64])] {
    var rng = SeededGenerator(seed: seed)
    let base: Int64 = 1_700_000_000_000
    var shapes: [(String, [Int64])] = []
    shapes.append(("constant", Array(repeating: base, count: n)))
    shapes.append(("zeros", Array(repeating: 0, count: n)))
    shapes.append(("regular", (0..<n).map { base + Int64($0) * 1000 }))
    shapes.append(("regular-gaps", (0..<n).map { (i: Int) -> Int64 in
        let hour: Int64 = i >= n / 2 ? 3_600_000 : 0
        let day: Int64 = i >= 3 * n / 4 ? 86_400_000 : 0
        return base + Int64(i) * 1000 + hour + day
    }))
    var t = base
    shapes.append(("jittery", (0..<n).map { _ in t += 1000 + Int64.random(in: -50...50, using: &rng); return t }))
    t = base
    shapes.append(("jitter-wide", (0..<n).map { _ in t += Int64.random(in: -3000...3000, using: &rng); return t }))
    t = base
    shapes.append(("jitter-32bit", (0..<n).map { _ in t &+= Int64.random(in: -1_000_000_000...1_000_000_000, using: &rng); return t }))
    shapes.append(("huge-deltas", (0..<n).map { _ in Int64.random(in: Int64.min...Int64.max, using: &rng) }))
    shapes.append(("unsorted", (0..<n).map { _ in base + Int64.random(in: -1_000_000...1_000_000, using: &rng) }))
    shapes.append(("extremes", (0..<n).map { i in [Int64.min, Int64.max, 0, -1, 1, Int64.max, Int64.min][i % 7] }))
    shapes.append(("max-then-min", (0..<n).map { i in i % 2 == 0 ? Int64.max : Int64.min }))
    shapes.append(("descending", (0..<n).map { base - Int64($0) * 10 }))
    // Regular stretches broken by single spikes: exercises run splitting and run/single mixes.
    shapes.append(("runs-with-spikes", (0..<n).map { (i: Int) -> Int64 in
        let spike: Int64 = i % 300 == 299 ? 5 : 0
        let nudge: Int64 = i % 17 == 0 ? 1 : 0
        return base + Int64(i) * 10 + spike + nudge
    }))
    var runsT = base
    var step: Int64 = 10
    shapes.append(("variable-runs", (0..<n).map { _ in
        if Int.random(in: 0..<40, using: &rng) == 0 { step = Int64.random(in: 1...100_000, using: &rng) }
        runsT &+= step
        return runsT
    }))
    shapes.append(("random-bits", (0..<n).map { _ in Int64(bitPattern: rng.next()) }))
    return shapes
}

/// Named Double sequences, including every special bit pattern a float column can hold.
func floatShapes(count n: Int, seed: UInt64) -> [(String, [Double])] {
    var rng = SeededGenerator(seed: seed)
    let specials: [Double] = [
        0.0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN,
        Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), Double(bitPattern: 0xFFF0_0000_0000_0001),
        Double(bitPattern: 0x7FF0_0000_0000_0001), .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .leastNormalMagnitude, Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, 1.0, -1.0, .pi, Double(bitPattern: UInt64.max), Double(bitPattern: 1),
        Double(bitPattern: 1 << 63), Double(bitPattern: (1 << 63) | 1),
    ]
    var shapes: [(String, [Double])] = []
    shapes.append(("constant", Array(repeating: 21.5, count: n)))
    shapes.append(("zeros", Array(repeating: 0, count: n)))
    shapes.append(("counter", (0..<n).map { Double($0) }))
    shapes.append(("gauge", (0..<n).map { 20 + 5 * sin(Double($0) / 50) }))
    shapes.append(("rounded", (0..<n).map { _ in (Double.random(in: 0..<100, using: &rng) * 10).rounded() / 10 }))
    shapes.append(("specials", (0..<n).map { specials[$0 % specials.count] }))
    shapes.append(("special-shuffle", (0..<n).map { _ in specials.randomElement(using: &rng)! }))
    shapes.append(("random-bits", (0..<n).map { _ in Double(bitPattern: rng.next()) }))
    // Alternating between patterns whose xor uses all 64 bits or only the lowest / highest bit.
    shapes.append(("full-width-xor", (0..<n).map { Double(bitPattern: $0 % 2 == 0 ? 0 : UInt64.max) }))
    shapes.append(("low-bit-xor", (0..<n).map { Double(bitPattern: $0 % 2 == 0 ? 0 : 1) }))
    shapes.append(("high-bit-xor", (0..<n).map { Double(bitPattern: $0 % 2 == 0 ? 0 : 1 << 63) }))
    shapes.append(("ends-xor", (0..<n).map { Double(bitPattern: $0 % 3 == 0 ? 0 : ($0 % 3 == 1 ? (1 << 63) | 1 : 1)) }))
    shapes.append(("nan-payloads", (0..<n).map { _ in Double(bitPattern: 0x7FF0_0000_0000_0000 | (rng.next() & 0x000F_FFFF_FFFF_FFFF) | 1) }))
    shapes.append(("subnormals", (0..<n).map { _ in Double(bitPattern: rng.next() & 0x800F_FFFF_FFFF_FFFF) }))
    return shapes
}

func bitPatterns(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }
