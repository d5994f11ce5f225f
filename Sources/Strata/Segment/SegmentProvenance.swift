import StrataCodecs

/// Where a segment stands in its store, recorded in the segment itself
/// (format 7): what the manifest says of it, so that a manifest lost with its
/// mirror can be rebuilt from the segment files alone (see
/// `StoreVerifier.repair`).
struct SegmentProvenance: Sendable, Equatable {
    /// The segment's last-write-wins rank; 0 when not recorded (a segment
    /// written outside a store, or before format 7).
    var rank: UInt64
    /// 0 for a flushed segment; a `CompactionWindow` level for compacted ones.
    var level: UInt8
    /// Deletions up to this rank were applied when the segment was written.
    var deletionsApplied: UInt64
    /// The sequences of the segments a compaction replaced with this one
    /// and its siblings; empty for a flushed segment.
    var replaced: [UInt64]
    /// The sequences of every output of the same compaction step, this one
    /// included: the step was published only if all of them were written, so
    /// a rebuild trusts `replaced` only when they are all there (or were
    /// replaced in turn). Empty for a flushed segment.
    var siblings: [UInt64] = []

    /// Nothing recorded.
    static let unrecorded = SegmentProvenance(rank: 0, level: 0, deletionsApplied: 0, replaced: [])

    /// A flushed segment: it ranks as its sequence and replaces nothing.
    static func flushed(sequence: UInt64) -> SegmentProvenance {
        SegmentProvenance(rank: sequence, level: 0, deletionsApplied: 0, replaced: [])
    }

    var isRecorded: Bool { rank != 0 }

    /// The block that follows the device names: the replaced sequences, then the siblings.
    func encodedBlock() -> [UInt8] {
        var block = ByteWriter(capacity: 8 + (replaced.count + siblings.count) * 5)
        for list in [replaced, siblings] {
            block.writeVarUInt(UInt64(list.count))
            for sequence in list.sorted() { block.writeVarUInt(sequence) }
        }
        return block.bytes
    }

    /// Reads the replaced sequences and the siblings from `block`; errors
    /// name `offset`, where the block starts.
    static func lists(in block: UnsafeRawBufferPointer, path: String, offset: Int) throws(StrataError) -> (replaced: [UInt64], siblings: [UInt64]) {
        var reader = ByteReader(block, offset: 0)
        var lists: [[UInt64]] = []
        do throws(ByteReader.OutOfBounds) {
            for _ in 0..<2 {
                let count = try reader.readVarUInt()
                // Each sequence takes at least a byte.
                guard count <= UInt64(block.count) else { break }
                var read: [UInt64] = []
                read.reserveCapacity(Int(count))
                for _ in 0..<count { read.append(try reader.readVarUInt()) }
                lists.append(read)
            }
        } catch {
            lists = []
        }
        guard lists.count == 2, reader.offset == block.count else {
            throw StrataError(.corruptFile, "segment provenance block is truncated or malformed", path: path, offset: offset)
        }
        return (lists[0], lists[1])
    }
}
