import Glibc

/// Searches and comparisons over raw bytes, done by the C library's
/// vectorised `memchr` and `memcmp`. They sit on the import and merge hot
/// paths, so they are inlined and allocate nothing; `package` so the CLI's
/// input reader uses the same ones.
package enum ByteSearch {
    /// The offset from `base` of the first `byte` in `start..<end`, or nil.
    @inlinable @inline(__always)
    package static func firstIndex(of byte: UInt8, in base: UnsafeRawPointer, from start: Int, to end: Int) -> Int? {
        guard start < end, let found = memchr(base + start, Int32(byte), end - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether the `count` bytes at `left` and at `right` are the same.
    @inlinable @inline(__always)
    package static func equal(_ left: UnsafeRawPointer, _ right: UnsafeRawPointer, count: Int) -> Bool {
        memcmp(left, right, count) == 0
    }

    /// The bytewise (unsigned) order of the `count` bytes at `left` and at
    /// `right`: negative, zero or positive, as `memcmp`.
    @inlinable @inline(__always)
    package static func compare(_ left: UnsafeRawPointer, _ right: UnsafeRawPointer, count: Int) -> Int32 {
        memcmp(left, right, count)
    }
}
