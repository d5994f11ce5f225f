/// Checks device and metric names.
///
/// Names are UTF-8, 1 to 255 bytes, without control characters (U+0000–U+001F,
/// U+007F–U+009F): they appear in files, CSV and terminals, where such
/// characters would be ambiguous or dangerous.
enum SeriesName {
    static let maximumByteCount = 255

    static func validate(_ name: String, role: String) throws(StrataError) {
        let byteCount = name.utf8.count
        if byteCount == 0 {
            throw StrataError(.invalidName, "\(role) name is empty")
        }
        if byteCount > maximumByteCount {
            throw StrataError(.invalidName, "\(role) name is \(byteCount) bytes long; the limit is \(maximumByteCount): \(name.prefix(40))…")
        }
        for scalar in name.unicodeScalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            throw StrataError(.invalidName, "\(role) name \(name.debugDescription) contains the control character U+\(String(scalar.value, radix: 16, uppercase: true))")
        }
    }
}
