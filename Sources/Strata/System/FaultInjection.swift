import Synchronization

/// Makes file operations fail on purpose, for tests: a full disk (ENOSPC),
/// an I/O error (EIO), a short write, a failed fsync. Rules match a path
/// prefix, so tests running in parallel in separate directories do not
/// disturb one another. With no rule installed the check is one atomic load.
enum FaultInjection {
    enum Operation: Sendable, Equatable {
        case write, sync, truncate
    }

    enum Effect: Sendable, Equatable {
        /// The call fails with this errno.
        case fail(Int32)
        /// A write stores only this many bytes, then reports that count (the
        /// caller must loop); later calls behave normally unless other rules say so.
        case shortWrite(Int)
    }

    struct Rule: Sendable {
        var pathPrefix: String
        var operation: Operation
        var effect: Effect
        /// Matching calls to let through before the fault fires.
        var skip: Int = 0
        /// How many times the fault fires; `Int.max` for ever.
        var times: Int = 1
    }

    private static let active = Atomic<Bool>(false)
    private static let rules = Locked<[Rule]>([])

    static func install(_ rule: Rule) {
        rules.withLock { $0.append(rule) }
        active.store(true, ordering: .releasing)
    }

    /// Removes every rule whose prefix starts with `pathPrefix`.
    static func removeRules(under pathPrefix: String) {
        rules.withLock { rules in
            rules.removeAll { $0.pathPrefix.hasPrefix(pathPrefix) }
            if rules.isEmpty { active.store(false, ordering: .releasing) }
        }
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
