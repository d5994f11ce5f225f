import Glibc

/// The C library's decimal-to-binary conversion (`strtod`), correctly
/// rounded. Callers check the grammar first (``FloatText``): `strtod` alone
/// also reads hexadecimal floats, skips leading spaces and rounds
/// out-of-range values silently.
enum CDecimal {
    /// `strtod` on the NUL-terminated text at `text`: the value and how many
    /// bytes it read (0 when it read no number).
    @inline(__always)
    static func parseDouble(_ text: UnsafePointer<CChar>) -> (value: Double, length: Int) {
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(text, &end)
        guard let end else { return (value, 0) }
        return (value, text.distance(to: UnsafePointer(end)))
    }
}
