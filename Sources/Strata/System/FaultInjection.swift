// System/ is the only code in Strata (and, through `package` types, in the
// `strata` CLI) that calls the OS: opens go through FileDescriptor.open with
// named OpenOptions or DirectoryDescriptor, the EINTR loop is
// retryingOnInterrupt and failures are typed Errno values. So every file
// operation passes one of the FaultInjection checks below, and tests fail any
// of them at any call: FaultMatrixTests (the store), ExportFaultMatrixTests
// (exports), and `tools/crash-test N SEED --faults`, whose writers each
// install a drawn fault before being killed.
import Synchronization

/// Makes file operations fail on purpose, for tests: a full disk (ENOSPC),
/// an I/O error (EIO), a short write, a failed fsync, open, rename, link,
/// unlink, mmap, mkdir or directory sync. ``DirectoryDescriptor``'s
/// `openat`, `mkdirat`, `renameat` and `unlinkat` are matched on the path
/// of the name in its directory. Rules match a path prefix, so tests
/// running in parallel in separate directories do not disturb one another.
/// With no rule installed the check is one atomic load.
///
/// `package`, not `public`: tests and the crash test (`--faults`) install
/// rules; embedders do not see it.
package enum FaultInjection {
    /// The operations a rule can fail: every call `System/` makes that
    /// changes or maps a file.
    package enum Operation: Sendable, Equatable, CaseIterable {
        /// `pwrite` (a failure or a short write).
        case write
        /// `fsync` / `fdatasync` of a file.
        case sync
        /// `ftruncate`.
        case truncate
        /// `open`, for reading or writing (matched on the opened path).
        case open
        /// `rename` (matched on the source or the destination).
        case rename
        /// `link` (matched on the new name).
        case link
        /// `unlink`.
        case unlink
        /// `mmap` of a whole file.
        case mmap
        /// `fsync` of a directory, which makes creations, renames and removals durable.
        case directorySync
        /// `mkdir` / `mkdirat` (matched on the new directory's path).
        case makeDirectory
    }

    package enum Effect: Sendable, Equatable {
        /// The call fails with this errno.
        case fail(Int32)
        /// A write stores only this many bytes, then reports that count (the
        /// caller must loop); later calls behave normally unless other rules say so.
        case shortWrite(Int)
    }

    package struct Rule: Sendable {
        var pathPrefix: String
        var operation: Operation
        var effect: Effect
        /// Matching calls to let through before the fault fires.
        var skip: Int = 0
        /// How many times the fault fires; `Int.max` for ever.
        var times: Int = 1

        package init(pathPrefix: String, operation: Operation, effect: Effect, skip: Int = 0, times: Int = 1) {
            (self.pathPrefix, self.operation, self.effect, self.skip, self.times) = (pathPrefix, operation, effect, skip, times)
        }
    }

    private static let active = Atomic<Bool>(false)
    private static let rules = Locked<[Rule]>([])

    package static func install(_ rule: Rule) {
        rules.withLock { $0.append(rule) }
        active.store(true, ordering: .releasing)
    }

    /// Removes every rule whose prefix starts with `pathPrefix`.
    package static func removeRules(under pathPrefix: String) {
        rules.withLock { rules in
            rules.removeAll { $0.pathPrefix.hasPrefix(pathPrefix) }
            if rules.isEmpty { active.store(false, ordering: .releasing) }
        }
    }

    /// How many faults the rules under `pathPrefix` have yet to fire (so a
    /// test can tell whether its fault happened).
    static func faultsNotYetFired(under pathPrefix: String) -> Int {
        rules.withLock { rules in
            rules.filter { $0.pathPrefix.hasPrefix(pathPrefix) }.reduce(0) { $0 + $1.times }
        }
    }

    /// Throws the errno of a `.fail` rule that fires for `operation` on `path`.
    static func check(_ operation: Operation, path: String) throws(Errno) {
        if case .fail(let code)? = fault(operation, path: path) { throw Errno(rawValue: code) }
    }

    /// The fault to apply to `operation` on `path`, if a rule fires.
    static func fault(_ operation: Operation, path: String) -> Effect? {
        guard active.load(ordering: .acquiring) else { return nil }
        return rules.withLock { rules in
            for index in rules.indices where rules[index].operation == operation && path.hasPrefix(rules[index].pathPrefix) {
                if rules[index].skip > 0 {
                    rules[index].skip -= 1
                    continue
                }
                guard rules[index].times > 0 else { continue }
                rules[index].times -= 1
                return rules[index].effect
            }
            return nil
        }
    }
}
