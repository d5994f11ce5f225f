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
    /// Where the bytes are, how many, and the room. Kept behind a constant
    /// pointer: a class's `var` properties are checked for exclusive access
    /// at run time on every read and write, which cost more than the
    /// formatting itself when it was per byte appended.
    private struct Storage {
        var base: UnsafeMutableRawPointer
        var count: Int
        var capacity: Int
    }
    private let storage: UnsafeMutablePointer<Storage>

    /// The bytes held.
    public var count: Int { storage.pointee.count }
    /// The bytes the buffer holds without growing.
    public var capacity: Int { storage.pointee.capacity }

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 1 << 16) {
        let room = max(capacity, 64)
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage(base: .allocate(byteCount: room, alignment: 16), count: 0, capacity: room))
    }

    deinit {
        storage.pointee.base.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// The bytes held, valid until the buffer next changes.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.pointee.base, count: storage.pointee.count) }

    /// Empties the buffer, keeping its memory.
    public func removeAll() { storage.pointee.count = 0 }

    /// Makes room for at least `additional` more bytes.
    @inline(__always)
    public func reserve(_ additional: Int) {
        if storage.pointee.capacity - storage.pointee.count < additional { grow(additional) }
    }

    private func grow(_ additional: Int) {
        var grown = storage.pointee.capacity * 2
        while grown - storage.pointee.count < additional { grown *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        moved.copyMemory(from: storage.pointee.base, byteCount: storage.pointee.count)
        storage.pointee.base.deallocate()
        storage.pointee.base = moved
        storage.pointee.capacity = grown
    }

    /// Lets `body` write at most `maximum` bytes at the end of the buffer;
    /// `body` returns how many it wrote.
    @inline(__always)
    public func append(atMost maximum: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        reserve(maximum)
        storage.pointee.count += body(storage.pointee.base + storage.pointee.count)
    }

    /// Appends bytes.
    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        append(atMost: bytes.count) { out in
            let count = bytes.count
            if count >= 8 && count <= 32 {
                // A row's prefix, a field: words, the last one overlapping, instead of a call to memmove.
                var offset = 0
                while offset + 8 < count {
                    (out + offset).storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), as: UInt64.self)
                    offset += 8
                }
                (out + count - 8).storeBytes(of: source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), as: UInt64.self)
            } else if count < 8 {
                for index in 0..<count { out.storeBytes(of: source.load(fromByteOffset: index, as: UInt8.self), toByteOffset: index, as: UInt8.self) }
            } else {
                out.copyMemory(from: source, byteCount: count)
            }
            return count
        }
    }

    /// Appends bytes.
    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends the UTF-8 bytes of a literal (a separator, a header).
    public func append(_ text: StaticString) {
        text.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends one byte.
    @inline(__always)
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
