import Glibc

extension FileSystem {
    /// The absolute path `path` names or would name once created: its
    /// longest existing prefix with every symbolic link, `.` and `..`
    /// resolved (`realpath`), followed by the missing components with `.`
    /// and `..` applied as text (they will be plain directories, made by us).
    ///
    /// Two paths that resolve to the same string name the same place, so
    /// comparing resolved paths tells whether one lies inside another.
    static func resolvedPath(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let directory = getcwd(&buffer, buffer.count) != nil ? String(cString: buffer) : "/"
            absolute = directory + "/" + path
        }
        var missing: [Substring] = []
        var existing = Substring(absolute)
        while true {
            if let real = realPath(String(existing)) {
                return appending(missing.reversed(), to: real)
            }
            // Strip the last component (and any slashes before it) and try its parent.
            guard let slash = existing.lastIndex(of: "/") else { return appending(missing.reversed(), to: "/") }
            let last = existing[existing.index(after: slash)...]
            if !last.isEmpty { missing.append(last) }
            existing = existing[..<slash]
            if existing.isEmpty { return appending(missing.reversed(), to: "/") }
        }
    }

    /// `realpath(3)`: nil when some component is missing or unreadable.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `base` (resolved, absolute) followed by `components`, `.` and `..` applied.
    private static func appending(_ components: ReversedCollection<[Substring]>, to base: String) -> String {
        var parts = base.split(separator: "/", omittingEmptySubsequences: true)
        for component in components {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether resolved path `path` is `directory` or lies below it.
    static func isPath(_ path: String, inside directory: String) -> Bool {
        if directory == "/" { return true }
        return path == directory || path.hasPrefix(directory + "/")
    }
}
