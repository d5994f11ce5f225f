import CStrataChecksums

/// CRC-32C (Castagnoli), the checksum guarding every chunk, index and footer.
///
/// Castagnoli's polynomial detects more error patterns than the zlib CRC-32
/// for the same cost and is the one storage formats (iSCSI, ext4, LevelDB)
/// standardised on. Where the processor has a CRC-32C instruction (SSE 4.2
/// on x86-64, the CRC extension on 64-bit ARM) it is used, through a few
/// lines of C (`CStrataChecksums`): Swift cannot name that instruction.
/// Elsewhere a portable slicing-by-8 implementation computes the same value:
/// eight 256-entry tables let the loop consume 8 bytes per step with
/// independent lookups instead of one dependent lookup per byte.
public enum CRC32C {
    /// Whether ``checksum(_:continuing:)`` uses the processor's instruction.
    public static let usesHardware = strata_crc32c_hardware_available() != 0

    /// The reflected Castagnoli polynomial.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// Eight tables of 256 entries, laid out contiguously; table k maps a byte
    /// to its CRC contribution k bytes further back. Built once, on first use.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[byte] = crc
        }
        for table in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(table - 1) * 256 + byte]
                tables[table * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// Returns the CRC-32C of `bytes`, continuing from a previous result.
    ///
    /// `checksum(b, continuing: checksum(a)) == checksum(a + b)`, so large or
    /// scattered data can be checksummed piece by piece. The standard check
    /// value `checksum("123456789")` is `0xE3069283`.
    /// - Complexity: O(n).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return crc }
        if usesHardware { return ~strata_crc32c_hardware_update(~crc, start, bytes.count) }
        return portableChecksum(bytes, continuing: crc)
    }

    /// ``checksum(_:continuing:)`` with the tables, whatever the processor.
    static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard var pointer = bytes.baseAddress, bytes.count > 0 else { return crc }
        var remaining = bytes.count
        var state = ~crc
        tables.withUnsafeBufferPointer { table in
            let t = table.baseAddress.unsafelyUnwrapped
            while remaining >= 8 {
                let word = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)) ^ UInt64(state)
                // Each byte of the word indexes its own table; the lookups are independent.
                state = t[7 * 256 + Int(word & 0xFF)]
                    ^ t[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((word >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int((word >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((word >> 32) & 0xFF)]
                    ^ t[2 * 256 + Int((word >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((word >> 48) & 0xFF)]
                    ^ t[Int(word >> 56)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                let byte = pointer.load(as: UInt8.self)
                state = (state >> 8) ^ t[Int((state ^ UInt32(byte)) & 0xFF)]
                pointer += 1
                remaining -= 1
            }
        }
        return ~state
    }

    /// Returns the CRC-32C of `bytes` (convenience over the buffer API).
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
