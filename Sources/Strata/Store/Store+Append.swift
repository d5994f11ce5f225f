extension Store {
    /// Appends one Float64 point.
    public func append(device: String, metric: String, timestamp: Int64, value: Double) throws(StrataError) {
        var batch = WriteBatch(capacity: 1)
        try batch.append(device: device, metric: metric, timestamp: timestamp, value: value)
        try append(batch)
    }

    /// Appends one Int64 point.
    public func append(device: String, metric: String, timestamp: Int64, value: Int64) throws(StrataError) {
        var batch = WriteBatch(capacity: 1)
        try batch.append(device: device, metric: metric, timestamp: timestamp, value: value)
        try append(batch)
    }

    /// Appends points of one Float64 series. `timestamps` and `values` pair up by position.
    public func append(device: String, metric: String, timestamps: [Int64], values: [Double]) throws(StrataError) {
        try appendSeries(device: device, metric: metric, type: .float64, timestamps: timestamps, values: values, bits: \.bitPattern)
    }

    /// Appends points of one Int64 series. `timestamps` and `values` pair up by position.
    public func append(device: String, metric: String, timestamps: [Int64], values: [Int64]) throws(StrataError) {
        try appendSeries(device: device, metric: metric, type: .int64, timestamps: timestamps, values: values) { UInt64(bitPattern: $0) }
    }

    private func appendSeries<Element>(
        device: String, metric: String, type: ValueType, timestamps: [Int64], values: [Element], bits: (Element) -> UInt64
    ) throws(StrataError) {
        guard timestamps.count == values.count else {
            throw StrataError(.invalidArgument, "\(timestamps.count) timestamps but \(values.count) values")
        }
        var batch = WriteBatch(capacity: timestamps.count)
        let series = try batch.series(device: device, metric: metric, type: type)
        for index in timestamps.indices { batch.append(series: series, timestamp: timestamps[index], bits: bits(values[index])) }
        try append(batch)
    }

    /// Appends a batch of points of many series, all or nothing.
    ///
    /// Points may come in any order; for the same series and timestamp the
    /// last write wins. When the head reaches
    /// ``Configuration/headFlushThreshold`` points the call also flushes.
    ///
    /// - Throws: `.typeMismatch` when a series already holds the other value
    ///   type (nothing of the batch is stored), `.closed` after ``close()``,
    ///   `.readOnly` for a read-only store. When the automatic flush fails
    ///   (`.io`, a full disk say) the batch *is* stored in the head and the
    ///   flush error is thrown; appending the batch again is harmless, since
    ///   the same points simply overwrite themselves.
    public func append(_ batch: WriteBatch) throws(StrataError) {
        var reached = AppendStage.notLogged
        try append(batch, reached: &reached)
    }

    /// ``append(_:)``, recording in `reached` how far `batch` got, so a caller
    /// whose append fails can say exactly what the store keeps (see ``AppendStage``).
    public func append(_ batch: WriteBatch, reached: inout AppendStage) throws(StrataError) {
        reached = .notLogged
        guard !batch.isEmpty else { return }
        try checkWritable()
        guard let log else { return }
        if batch.referencedRowCount > 0 && (batch.mixesStores || batch.referenceStoreToken != referenceToken) {
            throw StrataError(.invalidArgument, "the batch holds series references made by another Store instance", path: directory)
        }
        // Number the series named in the batch, checking their types (one hash a
        // series); references are numbered already.
        var named: [UInt32] = []
        if batch.seriesCount > 0 {
            named = try state.withLock { state throws(StrataError) -> [UInt32] in
                guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
                return try state.number(batch)
            }
        }
        // Encode outside the lock; the lock only orders the log write and the head update.
        let numbers = batch.rowNumbers(named: named)
        var record = numbers.withUnsafeBufferPointer { numbers in
            batch.timestamps.withUnsafeBufferPointer { timestamps in
                batch.bits.withUnsafeBufferPointer { bits in
                    WALRecord(numbers: numbers, timestamps: timestamps, bits: bits)
                }
            }
        }
        let (position, headPoints) = try state.withLock { state throws(StrataError) -> (UInt64, Int) in
            guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
            // Check every series before storing anything.
            if let retired = state.registry.firstRetired(in: numbers) {
                throw StrataError(.typeMismatch, "series \(state.registry.keys[Int(retired)]) was deleted and registered again with the other type; make a new reference")
            }
            let position = try numbers.withUnsafeBufferPointer { numbers throws(StrataError) in
                try log.append(rows: &record, numbers: numbers) { undefined in
                    WALRecord(definitions: undefined.map { number in
                        WALSeriesEncoding.Definition(
                            number: number, key: state.registry.keys[Int(number)], type: state.registry.types[Int(number)])
                    })
                }
            }
            state.apply(numbers: numbers, of: batch)
            return (position, state.head.pointCount)
        }
        reached = .written
        metrics.pointsAppended.increment(by: Int64(batch.count))
        if configuration.durability == .everyBatch {
            try log.waitUntilDurable(position)
            reached = .durable
        }
        if headPoints >= 2 * configuration.headFlushThreshold {
            // The background flush is falling behind: this appender helps, which bounds memory.
            try flushHead(closing: false)
        } else if headPoints >= configuration.headFlushThreshold {
            background.requestFlush()
        }
    }


    /// Checks that every series of `batch` has the value type the store
    /// already knows for it, without storing anything: lets a caller with
    /// several batches make sure all of them will be accepted first.
    package func checkTypes(of batch: WriteBatch) throws(StrataError) {
        try state.withLock { state throws(StrataError) in
            if let conflict = state.typeConflict(in: batch) { throw conflict }
        }
    }

    /// A reference to the series `metric` of `device` holding `type` values,
    /// registering it when the store does not know it yet; append through it
    /// with ``WriteBatch/append(_:timestamp:value:)-(_,_,Double)`` to skip
    /// every name lookup (see ``SeriesReference``).
    ///
    /// Making a reference stores nothing: a series without points is not
    /// listed by ``series()``.
    ///
    /// - Throws: `.invalidName` for a bad name, `.typeMismatch` when the
    ///   series holds the other type, `.readOnly`, `.closed`.
    public func reference(device: String, metric: String, type: ValueType) throws(StrataError) -> SeriesReference {
        try checkWritable()
        try SeriesName.validate(device, role: "device")
        try SeriesName.validate(metric, role: "metric")
        let key = SeriesKey(device: device, metric: metric)
        let number = try state.withLock { state throws(StrataError) -> UInt32 in
            guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
            return try state.number(key, type: type)
        }
        return SeriesReference(id: number, type: type, storeToken: referenceToken)
    }
}
