extension PatchedIntegerCodec {
    /// Decodes exactly `count` values from `input` into `output`.
    ///
    /// `output.count` must be at least `count`. Throws ``CodecError`` when the
    /// input is truncated or malformed; never reads outside `input`.
    /// - Complexity: O(n): unpack, patch the exceptions, then one pass adding
    ///   the base (and the running sum, for deltas).
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Int64>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative value count \(count)") }
        // Keeps every `count * width` below overflow.
        guard count <= Int.max / 128 else { throw CodecError("value count \(count) is too large") }
        precondition(output.count >= count, "PatchedIntegerCodec: output smaller than count")
        if count == 0 { return }
        guard let first = input.first else { throw CodecError("patched integer chunk is empty") }
        guard let mode = Mode(rawValue: first) else { throw CodecError("patched integer chunk has unknown mode \(first)") }
        // Offsets are unpacked and summed as unsigned bit patterns, which wrap like Int64.
        try output.withMemoryRebound(to: UInt64.self) { (rebound) throws(CodecError) in
            guard let bits = rebound.baseAddress else { throw CodecError("no output buffer") }
            try decode(input, mode: mode, count: count, into: bits)
        }
    }

    private static func decode(_ input: UnsafeRawBufferPointer, mode: Mode, count: Int, into bits: UnsafeMutablePointer<UInt64>) throws(CodecError) {
        var offset = 1
        switch mode {
        case .constant:
            let value = try VarInt.read(from: input, at: &offset)
            bits.update(repeating: UInt64(bitPattern: ZigZag.decode(value)), count: count)
        case .frameOfReference:
            let base = ZigZag.decode(try VarInt.read(from: input, at: &offset))
            try readStream(input, at: &offset, count: count, into: bits)
            for index in 0..<count { bits[index] = UInt64(bitPattern: base) &+ bits[index] }
        case .delta:
            let firstValue = ZigZag.decode(try VarInt.read(from: input, at: &offset))
            let base = UInt64(bitPattern: ZigZag.decode(try VarInt.read(from: input, at: &offset)))
            try readStream(input, at: &offset, count: count &- 1, into: bits + 1)
            var current = UInt64(bitPattern: firstValue)
            bits[0] = current
            for index in 1..<count {
                current = current &+ base &+ bits[index]
                bits[index] = current
            }
        case .runLength:
            try readRuns(input, at: &offset, count: count, into: bits)
        }
        guard offset == input.count else {
            throw CodecError("patched integer chunk has \(input.count - offset) bytes after its \(count) values")
        }
    }

    /// Decodes the runs of a run-length chunk (after its mode byte) into `bits`.
    private static func readRuns(_ input: UnsafeRawBufferPointer, at offset: inout Int, count: Int, into bits: UnsafeMutablePointer<UInt64>) throws(CodecError) {
        let encodedRuns = try VarInt.read(from: input, at: &offset)
        guard encodedRuns >= 1, encodedRuns <= UInt64(count) else {
            throw CodecError("run-length chunk of \(count) values claims \(encodedRuns) runs")
        }
        let runs = Int(encodedRuns)
        let base = UInt64(bitPattern: ZigZag.decode(try VarInt.read(from: input, at: &offset)))
        // Run values go to the end of the output, which the runs fill from the front:
        // run k ends at or before slot count − runs + k, so it never overwrites a later run's value.
        let valueSlots = bits + (count &- runs)
        try readStream(input, at: &offset, count: runs, into: valueSlots)
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: runs) { (lengths) throws(CodecError) in
            let lengths = lengths.baseAddress!
            try readStream(input, at: &offset, count: runs, into: lengths)
            var filled = 0
            for run in 0..<runs {
                // Each later run needs at least one slot.
                let room = UInt64(count &- filled &- (runs &- 1 &- run))
                guard lengths[run] < room else {
                    throw CodecError("run \(run) of \(lengths[run] &+ 1) values overflows the chunk of \(count)")
                }
                let length = Int(lengths[run]) &+ 1
                let value = base &+ valueSlots[run]
                (bits + filled).update(repeating: value, count: length)
                filled &+= length
            }
            guard filled == count else { throw CodecError("runs cover \(filled) of \(count) values") }
        }
    }

    /// Reads one stream of `count` offsets at `offset` into `output`, patched
    /// but without the base, and advances `offset` past it.
    private static func readStream(_ input: UnsafeRawBufferPointer, at offset: inout Int, count: Int, into output: UnsafeMutablePointer<UInt64>) throws(CodecError) {
        guard offset < input.count else { throw CodecError("stream of \(count) values is missing its width byte") }
        let width = Int(input[offset])
        offset &+= 1
        guard width <= 64 else { throw CodecError("stream has bit width \(width) > 64") }
        let encodedExceptions = try VarInt.read(from: input, at: &offset)
        guard encodedExceptions <= UInt64(count), width < 64 || encodedExceptions == 0 else {
            throw CodecError("stream of \(count) values at width \(width) claims \(encodedExceptions) exceptions")
        }
        let exceptions = Int(encodedExceptions)
        var highWidth = 0
        if exceptions > 0 {
            guard offset < input.count else { throw CodecError("stream is missing its exception width byte") }
            highWidth = Int(input[offset])
            offset &+= 1
            guard (1...64).contains(highWidth) else { throw CodecError("stream has exception width \(highWidth)") }
        }
        let packedBytes = BitPacking.byteCount(count: count, width: width)
        let positionWidth = positionWidth(count: count)
        let positionBytes = BitPacking.byteCount(count: exceptions, width: positionWidth)
        let highBytes = BitPacking.byteCount(count: exceptions, width: highWidth)
        guard packedBytes &+ positionBytes &+ highBytes <= input.count &- offset else {
            throw CodecError("stream of \(count) values needs \(packedBytes + positionBytes + highBytes) bytes, \(input.count - offset) remain")
        }
        BitPacking.unpackAnyWidth(input, at: offset, count: count, width: width, into: output)
        offset &+= packedBytes
        guard exceptions > 0 else { return }

        let positionsStart = offset
        let highsStart = offset &+ positionBytes
        offset = highsStart &+ highBytes
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: exceptions * 2) { (scratch) throws(CodecError) in
            let positions = scratch.baseAddress!
            let highs = positions + exceptions
            BitPacking.unpackAnyWidth(input, at: positionsStart, count: exceptions, width: positionWidth, into: positions)
            BitPacking.unpackAnyWidth(input, at: highsStart, count: exceptions, width: highWidth, into: highs)
            // Positions strictly ascending and inside the stream: checked before any is written.
            var next: UInt64 = 0
            for index in 0..<exceptions {
                guard positions[index] >= next, positions[index] < UInt64(count) else {
                    throw CodecError("exception \(index) has position \(positions[index]) in a stream of \(count) values")
                }
                next = positions[index] &+ 1
            }
            let shift = UInt64(width)
            for index in 0..<exceptions {
                output[Int(positions[index])] |= UInt64(bitPattern: ZigZag.decode(highs[index])) &<< shift
            }
        }
    }
}
