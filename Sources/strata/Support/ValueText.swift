import Strata

/// Values as exact text.
enum ValueText {
    static func exact(_ value: Value) -> String {
        switch value {
        case .float64(let number): NumberText.format(number)
        case .int64(let number): String(number)
        }
    }
}
