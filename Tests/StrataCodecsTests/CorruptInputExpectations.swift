import Testing
import StrataCodecs

/// How a decoder answered one corrupt input.
enum CorruptInputOutcome: Equatable {
    case decoded
    case rejected
}

/// Decodes `bytes` as `count` values with `Codec` and holds the decoder to its
/// contract on any input: it throws ``CodecError`` with a reason, or it
/// returns exactly `count` values and writes nothing past them. The buffer API
/// and the array convenience must agree.
@discardableResult
func expectCountOrCodecError<Codec: ColumnBufferCodec>(
    _ codec: Codec.Type, _ bytes: [UInt8], count: Int, sourceLocation: SourceLocation = #_sourceLocation
) -> CorruptInputOutcome where Codec.Element == Int64 {
    // A guard band after the `count` slots: a decoder that writes past its count is caught.
    let guardBand = 16
    let sentinel = Int64(bitPattern: 0xA5A5_A5A5_A5A5_A5A5)
    var output = [Int64](repeating: sentinel, count: count + guardBand)
    let buffered: Result<Void, CodecError> = bytes.withUnsafeBytes { input in
        output.withUnsafeMutableBufferPointer { slots in
            Result { () throws(CodecError) in
                try Codec.decode(input, count: count, into: UnsafeMutableBufferPointer(rebasing: slots[0..<count]))
            }
        }
    }
    let array = Result { () throws(CodecError) in try Codec.decode(bytes, count: count) }
    switch (buffered, array) {
    case (.success, .success(let values)):
        #expect(values.count == count, "returned \(values.count) values for a count of \(count)", sourceLocation: sourceLocation)
        #expect(output[count...].allSatisfy { $0 == sentinel }, "wrote past its \(count) values", sourceLocation: sourceLocation)
        #expect(Array(output[0..<count]) == values, "the buffer and array decoders disagree", sourceLocation: sourceLocation)
        return .decoded
    case (.failure(let error), .failure):
        #expect(!error.reason.isEmpty, "a CodecError without a reason", sourceLocation: sourceLocation)
        return .rejected
    default:
        Issue.record("the buffer and array decoders disagree on whether \(bytes) decodes", sourceLocation: sourceLocation)
        return .rejected
    }
}
