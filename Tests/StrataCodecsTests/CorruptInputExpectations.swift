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
/// and the array convenience must agree, bit for bit (NaN payloads included).
@discardableResult
func expectCountOrCodecError<Codec: ColumnBufferCodec>(
    _ codec: Codec.Type, _ bytes: [UInt8], count: Int, sourceLocation: SourceLocation = #_sourceLocation
) -> CorruptInputOutcome {
    // A guard band after the `count` slots, filled with a byte pattern: a decoder that writes past its count is caught.
    let stride = MemoryLayout<Codec.Element>.stride
    let guardBand = 16
    let pattern: UInt8 = 0xA5
    let slots = UnsafeMutableRawBufferPointer.allocate(
        byteCount: (count + guardBand) * stride, alignment: MemoryLayout<Codec.Element>.alignment)
    defer { slots.deallocate() }
    slots.initializeMemory(as: UInt8.self, repeating: pattern)
    let output = slots.bindMemory(to: Codec.Element.self)
    let buffered = bytes.withUnsafeBytes { input in
        Result { () throws(CodecError) in
            try Codec.decode(input, count: count, into: UnsafeMutableBufferPointer(rebasing: output[0..<count]))
        }
    }
    let array = Result { () throws(CodecError) in try Codec.decode(bytes, count: count) }
    switch (buffered, array) {
    case (.success, .success(let values)):
        #expect(values.count == count, "returned \(values.count) values for a count of \(count)", sourceLocation: sourceLocation)
        let written = UnsafeRawBufferPointer(slots)
        #expect(written[(count * stride)...].allSatisfy { $0 == pattern }, "wrote past its \(count) values", sourceLocation: sourceLocation)
        let agree = values.withUnsafeBytes { $0.elementsEqual(written[0..<(count * stride)]) }
        #expect(agree, "the buffer and array decoders disagree", sourceLocation: sourceLocation)
        return .decoded
    case (.failure(let error), .failure):
        #expect(!error.reason.isEmpty, "a CodecError without a reason", sourceLocation: sourceLocation)
        return .rejected
    default:
        Issue.record("the buffer and array decoders disagree on whether \(bytes) decodes", sourceLocation: sourceLocation)
        return .rejected
    }
}
