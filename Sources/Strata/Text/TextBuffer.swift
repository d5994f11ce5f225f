/// A growable run of bytes that lines of text are assembled in, numbers
/// written straight into it by ``NumberBytes``: no `String`, no allocation
/// but the occasional doubling.
///
/// One thread at a time: a buffer may be filled on one thread and handed to
/// another (through a lock or a join) to be written out.
///
/// ```swift
/// let text = TextBuffer()
/// text.append(Array("pump-1,temp,".utf8))
/// text.append(Int64(1_700_000_000_000))
/// text.append(UInt8(ascii: ","))
/// text.append(21.5)
/// text.append(UInt8(ascii: "\n"))
/// try file.write(text.bytes)
/// ```
public final class TextBuffer: @unchecked Sendable {
    /// The bytes held.
    public private(set) var count = 0
    /// The bytes the buffer holds without growing.
    public private(set) var capacity: Int
    private var base: UnsafeMutableRawPointer

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// The bytes held, valid until the buffer next changes.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Empties the buffer, keeping its memory.
    public func removeAll() { count = 0 }

    /// Makes room for at least `additional` more bytes.
    public func reserve(_ additional: Int) {
        guard capacity - count < additional else { return }
        var grown = capacity * 2
        while grown - count < additional { grown *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = grown
    }

    /// Lets `body` write at most `maximum` bytes at the end of the buffer;
    /// `body` returns how many it wrote.
    @inline(__always)
    public func append(atMost maximum: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        reserve(maximum)
        count += body(base + count)
    }

    /// Appends bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        append(atMost: bytes.count) { out in
            out.copyMemory(from: source, byteCount: bytes.count)
            return bytes.count
        }
    }

    /// Appends bytes.
    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends one byte.
    public func append(_ byte: UInt8) {
        append(atMost: 1) { out in
            out.storeBytes(of: byte, as: UInt8.self)
            return 1
        }
    }

    /// Appends a Double as ``NumberText/format(_:)`` spells it.
    public func append(_ value: Double) {
        append(atMost: NumberBytes.maximumDoubleLength) { NumberBytes.write(value, to: $0) }
    }

    /// Appends an Int64 in decimal.
    public func append(_ value: Int64) {
        append(atMost: NumberBytes.maximumInt64Length) { NumberBytes.write(value, to: $0) }
    }

    /// Appends an Int128 in decimal.
    public func append(_ value: Int128) {
        append(atMost: NumberBytes.maximumInt128Length) { NumberBytes.write(value, to: $0) }
    }
}
