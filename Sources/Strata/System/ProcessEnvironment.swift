import Glibc

/// The process environment, read through `getenv(3)`.
enum ProcessEnvironment {
    /// The value of environment variable `name`, or nil when it is not set.
    static func value(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        return String(cString: pointer)
    }
}
