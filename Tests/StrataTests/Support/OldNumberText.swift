/// The text of a Double as ``NumberText/format(_:)`` wrote it before
/// ``NumberBytes``: Swift's `description`, `nan` for the default NaN and
/// `nan(0x…)` with 16 hex digits for any other; the reference the byte
/// writers are checked against.
enum OldNumberText {
    static func format(_ value: Double) -> String {
        if value.isNaN {
            if value.bitPattern == Double.nan.bitPattern { return "nan" }
            let hex = String(value.bitPattern, radix: 16)
            return "nan(0x" + String(repeating: "0", count: 16 - hex.count) + hex + ")"
        }
        return value.description
    }
}
