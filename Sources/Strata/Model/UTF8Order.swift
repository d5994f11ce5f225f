import Glibc

/// Compares and hashes names by their UTF-8 bytes, the order segment indexes
/// keep, with `memcmp` over the string's contiguous storage.
///
/// `String.utf8`'s generic `elementsEqual` and `lexicographicallyPrecedes`
/// walk a byte at a time through the collection protocols; with a million
/// series a flush or a compaction compares and hashes names millions of
/// times, and that walk was the largest cost in profiles of them.
enum UTF8Order {
    /// Negative, zero or positive as `a`'s bytes sort before, equal to or after `b`'s.
    @inline(__always)
    static func compare(_ a: String, _ b: String) -> Int {
        withBytes(a) { left in
            withBytes(b) { right in
                let common = min(left.count, right.count)
                if common > 0 {
                    let order = ByteSearch.compare(left.baseAddress!, right.baseAddress!, count: common)
                    if order != 0 { return Int(order) }
                }
                return left.count - right.count
            }
        }
    }

    @inline(__always)
    static func precedes(_ a: String, _ b: String) -> Bool { compare(a, b) < 0 }

    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && compare(a, b) == 0
    }

    /// Feeds the name's bytes to `hasher` in one call.
    @inline(__always)
    static func hash(_ name: String, into hasher: inout Hasher) {
        withBytes(name) { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Calls `body` with the name's UTF-8 bytes: in place for a native string,
    /// through a copy for a bridged one.
    @inline(__always)
    static func withBytes<Result>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = name.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(name.utf8).withUnsafeBufferPointer(body)
    }
}
