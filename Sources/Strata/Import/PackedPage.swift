/// A full page of staged points packed into bytes, so that a large import
/// holds a fraction of its points' size in fresh memory until it is loaded
/// (on this machine, touching fresh memory cost more than parsing the text).
///
/// Point after point: the timestamp as the zigzag LEB128 varint of its
/// delta-of-delta, then the value as the XOR with the value before, a header
/// byte counting its zero bytes at the top and at the bottom, and the bytes
/// between. Regular timestamps take one byte and slowly changing values a
/// few, where the page took sixteen a point. The byte-aligned form of the
/// delta-of-delta and XOR ideas of Gorilla (Pelkonen et al., VLDB 2015),
/// chosen for speed: the load unpacks every page once. Any Int64 timestamps
/// and any 64-bit values (NaN payloads included) come back bit for bit.
struct PackedPage: Sendable {
    private let bytes: [UInt8]
    /// The points packed.
    let count: Int

    /// The most bytes a point takes: a 10-byte varint, a header and 8 value bytes.
    private static let maximumPointBytes = 19
    /// Bytes kept after the last point, so that a value's bytes are always
    /// stored and loaded as one 8-byte word.
    private static let slack = 8
    /// The header of a value equal to the one before.
    private static let repeatedValue: UInt8 = 0x80

    init(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        precondition(times.count == bits.count, "PackedPage: columns of unequal lengths")
        count = times.count
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: times.count * Self.maximumPointBytes + Self.slack, alignment: 8)
        defer { scratch.deallocate() }
        var out = 0
        var previousTime: Int64 = 0, previousDelta: Int64 = 0, previousBits: UInt64 = 0
        for index in 0..<times.count {
            let delta = times[index] &- previousTime
            let change = delta &- previousDelta
            (previousTime, previousDelta) = (times[index], delta)
            var zigzag = UInt64(bitPattern: (change &<< 1) ^ (change >> 63))
            while zigzag >= 0x80 {
                scratch[out] = UInt8(truncatingIfNeeded: zigzag) | 0x80
                zigzag >>= 7
                out += 1
            }
            scratch[out] = UInt8(zigzag)
            out += 1
            let difference = bits[index] ^ previousBits
            previousBits = bits[index]
            guard difference != 0 else {
                scratch[out] = Self.repeatedValue
                out += 1
                continue
            }
            let top = difference.leadingZeroBitCount / 8, bottom = difference.trailingZeroBitCount / 8
            scratch[out] = UInt8(top << 4 | bottom)
            out += 1
            // The middle bytes as one word; the bytes past them are overwritten next.
            scratch.storeBytes(of: (difference >> UInt64(bottom * 8)).littleEndian, toByteOffset: out, as: UInt64.self)
            out += 8 - top - bottom
        }
        bytes = Array(UnsafeRawBufferPointer(rebasing: scratch[..<(out + Self.slack)]))
    }

    /// Writes the page's points to the first ``count`` places of `times` and `bits`.
    func unpack(times: UnsafeMutableBufferPointer<Int64>, bits: UnsafeMutableBufferPointer<UInt64>) {
        bytes.withUnsafeBufferPointer { bytes in
            var position = 0
            var previousTime: Int64 = 0, previousDelta: Int64 = 0, previousBits: UInt64 = 0
            for index in 0..<count {
                var zigzag = UInt64(bytes[position])
                position += 1
                if zigzag >= 0x80 {
                    // Regular timestamps take the one byte; others continue here.
                    zigzag &= 0x7F
                    var shift: UInt64 = 7
                    while true {
                        let byte = bytes[position]
                        position += 1
                        zigzag |= UInt64(byte & 0x7F) << shift
                        if byte < 0x80 { break }
                        shift += 7
                    }
                }
                let change = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
                previousDelta = previousDelta &+ change
                previousTime = previousTime &+ previousDelta
                times[index] = previousTime
                let header = bytes[position]
                position += 1
                if header != Self.repeatedValue {
                    let top = Int(header >> 4), bottom = Int(header & 0x0F)
                    let width = 8 - top - bottom
                    let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt64.self))
                    // `width` is 1...8: the word's low `width` bytes (a shift by 64 would be 0).
                    let middle = width == 8 ? word : word & ((1 &<< UInt64(width * 8)) &- 1)
                    position += width
                    previousBits ^= middle << UInt64(bottom * 8)
                }
                bits[index] = previousBits
            }
        }
    }
}
