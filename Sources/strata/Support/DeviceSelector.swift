import ArgumentParser
import Foundation

/// A parsed `--device` value: names and shell-style patterns separated by commas.
///
/// A backslash makes the next character literal, so every legal device name
/// can be written: `\,` is a comma inside a name, `\\` a backslash, and `\*`,
/// `\?`, `\[` are the glob characters themselves. A term with an unescaped
/// `*`, `?` or `[` is a pattern (fnmatch(3)); any other term names one device
/// exactly, byte for byte.
struct DeviceSelector {
    /// One comma-separated part of the selector.
    struct Term {
        /// The term as the user wrote it, escapes included, for messages.
        let written: String
        /// The exact device name, or nil when the term is a pattern.
        let name: String?
        /// The term as an fnmatch(3) pattern (literal glob characters and backslashes escaped).
        let pattern: String

        /// Whether `device` is the name (compared byte for byte, as the store
        /// compares names) or matches the pattern.
        func matches(_ device: String) -> Bool {
            if let name { return name.utf8.elementsEqual(device.utf8) }
            return fnmatch(pattern, device, 0) == 0
        }
    }

    /// The characters a backslash may escape.
    static let escapable: Set<Unicode.Scalar> = [",", "\\", "*", "?", "["]
    /// Characters that make a term a pattern unless escaped.
    static let globCharacters: Set<Unicode.Scalar> = ["*", "?", "["]

    let terms: [Term]

    /// Parses `text`, or explains what is wrong with it (for a usage error naming `option`).
    init(parsing text: String, option: String = "--device") throws(ValidationError) {
        func failure(_ reason: String) -> ValidationError {
            ValidationError("\(option) \(text.debugDescription) \(reason); write a comma in a name as \\, and a backslash as \\\\")
        }
        guard !text.isEmpty else { throw ValidationError("\(option) is empty: give a device name, a comma-separated list or a pattern such as pump-*") }
        var terms: [Term] = []
        // Scalar by scalar, not by Character: a combining mark after a comma or a
        // backslash must not hide it inside one grapheme.
        var written = String.UnicodeScalarView(), name = String.UnicodeScalarView(), pattern = String.UnicodeScalarView()
        var isPattern = false
        func endTerm() throws(ValidationError) {
            guard !written.isEmpty else { throw failure("has an empty name (two commas in a row, or a comma at an end)") }
            terms.append(Term(written: String(written), name: isPattern ? nil : String(name), pattern: String(pattern)))
            written = .init(); name = .init(); pattern = .init(); isPattern = false
        }
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar {
            case ",":
                try endTerm()
            case "\\":
                guard let escaped = scalars.next() else { throw failure("ends in a lone backslash") }
                guard Self.escapable.contains(escaped) else {
                    throw failure("has the unknown escape \\\(escaped) (only \\, \\\\ \\* \\? \\[ are escapes)")
                }
                written += ["\\", escaped]
                name.append(escaped)
                // fnmatch escapes its own special characters, and only those, with a backslash.
                pattern += escaped == "," ? [","] : ["\\", escaped]
            default:
                written.append(scalar)
                name.append(scalar)
                pattern.append(scalar)
                if Self.globCharacters.contains(scalar) { isPattern = true }
            }
        }
        try endTerm()
        self.terms = terms
    }
}

extension DeviceSelector {
    /// The `--device` help of every command that selects devices.
    static let help = ArgumentHelp(
        "Devices: a name, a comma-separated list, or patterns such as pump-*. In a name, write \\, for a comma, \\\\ for a backslash, and \\* \\? \\[ for those characters.")

    /// Checks a command's `--device` selector and `--metric` name, for its `validate()`.
    static func validate(devices selector: String?, metric: String?) throws(ValidationError) {
        if let selector { _ = try DeviceSelector(parsing: selector) }
        try requireName(metric, option: "--metric")
    }

    /// Refuses an empty name: no series has one, so it can only be a mistake (an unset shell variable, say).
    static func requireName(_ name: String?, option: String) throws(ValidationError) {
        if let name, name.isEmpty { throw ValidationError("\(option) is empty: give a name") }
    }
}
