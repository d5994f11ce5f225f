import Glibc

/// A read-only memory mapping of a whole file, unmapped when the last
/// reference goes away.
///
/// Segment files are immutable once published and are only ever deleted,
/// never truncated, so a mapping stays valid for as long as it lives (a
/// mapping survives `unlink`). Nothing is copied: pages are read from the
/// page cache on first touch.
///
/// The bytes are reached only inside ``withBytes(_:)``, which keeps the
/// mapping alive for the call: a pointer handed out bare could outlive the
/// last reference (Swift may release an object right after its last use),
/// and reading it then would read unmapped memory.
final class MappedRegion: @unchecked Sendable {
    private let bytes: UnsafeRawBufferPointer

    /// The length of the mapping: the file's size when it was mapped.
    var count: Int { bytes.count }

    /// Maps the file at `path`. An empty file cannot be mapped (EINVAL), nor
    /// anything but a regular file (ENODEV); the caller reports which.
    init(path: String) throws(Errno) {
        // Non-blocking, so that a named pipe given as a segment fails instead of waiting for a writer.
        let descriptor = try FileDescriptor.open(path, [.readOnly, .nonBlocking])
        defer { descriptor.close() }
        // Only a regular file maps to what it holds: a directory, pipe or device is refused.
        // ENODEV, as mmap itself answers for a file it cannot map.
        guard try descriptor.isRegularFile() else { throw Errno(rawValue: ENODEV) }
        let length = try descriptor.size()
        guard length > 0 else { throw Errno(rawValue: EINVAL) }
        try FaultInjection.check(.mmap, path: path)
        guard let address = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor.rawValue, 0),
              address != MAP_FAILED
        else { throw Errno.current }
        bytes = UnsafeRawBufferPointer(start: address, count: length)
    }

    /// Runs `body` with the mapped bytes, which stay mapped until it returns.
    /// `body` must not keep the pointer.
    @inline(__always)
    func withBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        defer { withExtendedLifetime(self) {} }
        return try body(bytes)
    }

    /// Unmaps this process's view of the pages wholly below `offset`, which
    /// stay in the page cache and are mapped again on their next touch.
    ///
    /// A compaction reads its inputs front to back, once: letting go of what
    /// it has read keeps the pages of a day's segments from counting toward
    /// the process's resident memory all at once. Readers of the same
    /// mapping stay correct; a page they touch again costs a minor fault.
    func releasePages(below offset: Int) {
        let page = ProcessMemory.pageSize
        let end = min(offset, bytes.count) / page * page
        guard end > 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), end, MADV_DONTNEED)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count)
    }
}
