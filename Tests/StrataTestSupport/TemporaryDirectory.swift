import Foundation

/// A fresh directory per test, removed afterwards, so tests never share state.
public struct TemporaryDirectory: ~Copyable {
    /// The directory's path.
    public let path: String

    /// Creates a directory under the system's temporary directory, its name made from `label`.
    public init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "strata-tests-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func appending(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
