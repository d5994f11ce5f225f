/// Identifies how a column chunk's payload is encoded.
///
/// The raw value is stored on disk in every chunk header, so cases must never
/// be renumbered or reused; add new codecs with new numbers.
public enum ColumnCodec: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Delta-of-delta timestamps with a run code for constant steps (``TimestampCodec``).
    case timestampDeltaOfDelta = 1
    /// Gorilla XOR encoding of `Double` bit patterns (``GorillaFloatCodec``).
    case floatGorilla = 2
    /// Delta, zigzag and per-block bit packing of `Int64` values (``IntegerCodec``).
    case intDeltaZigzag = 3
    /// Decimal exponent, bit-packed integers and exceptions (``DecimalFloatCodec``).
    case floatDecimal = 4
    /// Per-chunk choice of constant, run-length, or patched frame-of-reference or
    /// delta bit packing of `Int64` values (``PatchedIntegerCodec``).
    case intPatched = 5
    /// Timestamps as a regular grid with gap codes, or constant, or delta-of-delta,
    /// whichever is smallest per chunk (``TimestampGapCodec``).
    case timestampGaps = 6

    /// A short stable name for logs and the CLI (`dod`, `gorilla`, `delta-zigzag`, `decimal`, `patched`, `gaps`).
    public var description: String {
        switch self {
        case .timestampDeltaOfDelta: "dod"
        case .floatGorilla: "gorilla"
        case .intDeltaZigzag: "delta-zigzag"
        case .floatDecimal: "decimal"
        case .intPatched: "patched"
        case .timestampGaps: "gaps"
        }
    }
}

/// Thrown when an encoded column payload is truncated or malformed.
///
/// Decoders throw this instead of trapping so that a corrupt file is reported
/// to the user rather than crashing the process.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the input, in words meant for a person.
    public let reason: String

    /// Creates an error with a human-readable reason.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason, prefixed so it reads well inside a larger message.
    public var description: String { "codec error: \(reason)" }
}
