import Foundation

/// Files kept in `Tests/StrataTests/Resources` (see its README for provenance).
enum TestResources {
    static func path(_ name: String) -> String {
        // SwiftPM copies the folder into the bundle; depending on the platform the
        // bundle's resource URL is the folder itself or its parent.
        let base = Bundle.module.resourceURL!
        let direct = base.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: direct.path) { return direct.path }
        return base.appendingPathComponent("Resources").appendingPathComponent(name).path
    }

    /// The source folder of the resources, for regenerating the golden file.
    static func sourcePath(_ name: String) -> String {
        // This file is Tests/StrataTests/Support/Resources.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources").appendingPathComponent(name).path
    }

    /// The package's root folder, found from this file's path (Tests/StrataTests/Support/Resources.swift).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}
