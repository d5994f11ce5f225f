/// Turns the payload of each record of one log file into what it means for
/// replay, in file order: `series` records define the numbers later `rows`
/// records of the same file use.
struct WALRecordDecoder {
    /// What a record holds.
    enum Decoded {
        /// Points to apply.
        case batch(WriteBatch)
        /// Series numbers defined for the rest of the file.
        case definitions
        /// The end record: the records before it and its own offset, as it states them;
        /// nil when its payload is not the end record's size.
        case end((records: UInt64, offset: UInt64)?)
        /// The record passes its checksum but does not decode.
        case malformed(reason: String)
        /// A type this build does not know (written by a newer Strata?).
        case unknown(type: UInt8)
    }

    let version: UInt16
    /// Version 3 and later: the series numbers this file has defined so far.
    private var definitions: [UInt32: (key: SeriesKey, type: ValueType)] = [:]

    init(version: UInt16) {
        self.version = version
    }

    mutating func decode(type: UInt8, payload: UnsafeRawBufferPointer) -> Decoded {
        do throws(WALBatchEncoding.Malformed) {
            switch WALFormat.RecordType(rawValue: type) {
            case .batch:
                return .batch(try WALBatchEncoding.decode(payload))
            case .series where version >= 3:
                for definition in try WALSeriesEncoding.decode(payload) {
                    definitions[definition.number] = (definition.key, definition.type)
                }
                return .definitions
            case .rows where version >= 3:
                return .batch(try Self.batch(fromRows: payload, definitions: definitions))
            case .compressedRows where version >= 4:
                let rows = try WALRecord.decompressRows(payload)
                return .batch(try rows.withUnsafeBytes { rows in
                    Result { () throws(WALBatchEncoding.Malformed) in try Self.batch(fromRows: rows, definitions: definitions) }
                }.get())
            case .end where version >= 2:
                return .end(WALRecord.decodeEnd(payload))
            default:
                return .unknown(type: type)
            }
        } catch {
            return .malformed(reason: error.reason)
        }
    }

    /// A `rows` record turned back into a batch naming its series, through the
    /// numbers the file defined before it.
    private static func batch(
        fromRows payload: UnsafeRawBufferPointer, definitions: [UInt32: (key: SeriesKey, type: ValueType)]
    ) throws(WALBatchEncoding.Malformed) -> WriteBatch {
        let rows = try WALRowsEncoding.decode(payload)
        var batch = WriteBatch(capacity: rows.numbers.count)
        var slots: [UInt32: Int] = [:]
        for row in rows.numbers.indices {
            let number = rows.numbers[row]
            let slot: Int
            if let known = slots[number] {
                slot = known
            } else {
                guard let definition = definitions[number] else {
                    throw WALBatchEncoding.Malformed(reason: "a row names series #\(number), which the file does not define")
                }
                do throws(StrataError) {
                    slot = try batch.series(device: definition.key.device, metric: definition.key.metric, type: definition.type)
                } catch {
                    // Two numbers of one file naming the same series with both types.
                    throw WALBatchEncoding.Malformed(reason: error.message)
                }
                slots[number] = slot
            }
            batch.append(series: slot, timestamp: rows.timestamps[row], bits: rows.bits[row])
        }
        return batch
    }
}
