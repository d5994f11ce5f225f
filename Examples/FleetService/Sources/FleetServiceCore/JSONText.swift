import Strata

/// A small JSON writer, used instead of `Codable` so that numbers are written exactly:
///
/// - Float64 values are written as Swift's shortest round-trip decimal (`21.5`, `1e-05`,
///   `-0.0`), which any correct JSON parser (Python's `json`, JavaScript's `JSON.parse`)
///   reads back to the same 64 bits.
/// - JSON has no NaN or infinity, so those are written as strings, in the form the
///   `strata` CLI prints and reads (`NumberText.format`): `"inf"`, `"-inf"`, `"nan"`, and
///   `"nan(0x7ff8000000000001)"` with the full bit pattern for a NaN with a payload.
/// - Int64 values are written as integers, all 64 bits of them (a JavaScript client that
///   needs values beyond 2^53 must parse them with a big-integer aware parser).
struct JSONText {
    private(set) var text = ""

    init(capacity: Int = 256) { text.reserveCapacity(capacity) }

    mutating func raw(_ piece: String) { text += piece }

    mutating func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    mutating func number(_ value: Double) {
        if value.isFinite { text += value.description } else { string(NumberText.format(value)) }
    }

    mutating func number(_ value: Double?) {
        if let value { number(value) } else { text += "null" }
    }

    mutating func integer<Integer: BinaryInteger>(_ value: Integer) { text += String(value) }

    mutating func value(_ value: Value?) {
        switch value {
        case .float64(let number)?: self.number(number)
        case .int64(let number)?: integer(number)
        case nil: text += "null"
        }
    }

    /// `"key":` (the caller writes the separating commas).
    mutating func key(_ name: String) {
        string(name)
        text += ":"
    }
}
