import Strata

/// Text for JSON output: strings escaped, non-finite numbers as strings.
enum JSONText {
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    static func value(_ value: Value) -> String {
        switch value {
        case .int64(let number): return String(number)
        case .float64(let number):
            return number.isFinite ? NumberText.format(number) : string(NumberText.format(number))
        }
    }
}
