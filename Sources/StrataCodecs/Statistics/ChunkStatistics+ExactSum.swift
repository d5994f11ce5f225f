extension ChunkStatistics {
    /// The largest magnitude below which every integer is a `Double`: 2^53.
    static let exactDoubleIntegerLimit: UInt64 = 1 << 53

    /// The exact sum of an Int64 chunk's values, when ``sum`` is provably exact; nil otherwise.
    ///
    /// ``sum`` adds the values as `Double`s. When `valueCount × max(|min|, |max|)`
    /// is at most 2^53, every value and every partial sum is an integer of at
    /// most 2^53 in magnitude, so each conversion and each addition was exact
    /// (and the compensation stayed 0): the stored sum is the true sum. Beyond
    /// that bound the sum may have been rounded, and only decoding the chunk
    /// gives the exact total. Counters and gauges of ordinary size (a byte
    /// counter near 10^12 in a chunk of a thousand points) stay within the bound.
    ///
    /// Meaningful for Int64 columns only.
    public var exactIntegerSum: Int128? {
        guard valueCount > 0 else { return valueCount == 0 ? 0 : nil }
        let largest = Swift.max(minInt.magnitude, maxInt.magnitude)
        let (bound, overflow) = largest.multipliedReportingOverflow(by: UInt64(valueCount))
        guard !overflow, bound <= Self.exactDoubleIntegerLimit else { return nil }
        // Within the bound the stored sum is an integer; a damaged entry that is not one is refused.
        guard let exact = Int64(exactly: sum) else { return nil }
        return Int128(exact)
    }
}
