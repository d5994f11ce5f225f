import StrataCodecs

/// Parses a segment's index into entries, checking as it goes that every
/// count is plausible and every chunk lies inside the data region, so later
/// reads can trust offsets.
struct SegmentIndexParser {
    let bytes: UnsafeRawBufferPointer
    /// Where the index (for format 6, the device entries) begins: chunks lie before it.
    let indexOffset: Int
    let path: String
    /// The file's format version: version 2 entries carry two more statistics.
    let version: UInt16

    /// Parses the whole index of a version 1 to 5 file: a device count, then the entries.
    func parse() throws(StrataError) -> [DeviceEntry] {
        // The reader stops at the footer, so no entry can run into it.
        let end = bytes.count - SegmentFormat.footerSize
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), offset: indexOffset)
        do {
            let deviceCount = try count(&reader, "device count")
            var devices: [DeviceEntry] = []
            devices.reserveCapacity(deviceCount)
            for _ in 0..<deviceCount {
                devices.append(try parseDevice(&reader))
                if devices.count >= 2,
                   !UTF8Order.precedes(devices[devices.count - 2].name, devices[devices.count - 1].name) {
                    throw StrataError(.corruptFile, "index lists devices out of order", path: path, offset: reader.offset)
                }
            }
            guard reader.remaining == 0 else {
                throw StrataError(.corruptFile, "index has \(reader.remaining) unexpected trailing bytes", path: path, offset: reader.offset)
            }
            return devices
        } catch let error as ByteReader.OutOfBounds {
            throw StrataError(.corruptFile, "index ends in the middle of an entry", path: path, offset: error.offset)
        } catch let error as StrataError {
            throw error
        } catch {
            throw StrataError(.corruptFile, "\(error)", path: path, offset: reader.offset)
        }
    }

    /// Parses the one device entry of a format 6 file at `offset`, which must
    /// take exactly `length` bytes. The caller has checked its checksum; a
    /// problem is reported at the entry's offset, its detail in the message.
    func parseEntry(at offset: Int, length: Int) throws(StrataError) -> DeviceEntry {
        let end = offset + length
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), offset: offset)
        let detail: String
        do {
            let device = try parseDevice(&reader)
            guard reader.offset == end else {
                throw StrataError(.corruptFile, "entry has \(end - reader.offset) unexpected trailing bytes", path: path, offset: reader.offset)
            }
            return device
        } catch let error as ByteReader.OutOfBounds {
            detail = "ends in the middle of a field at offset \(error.offset)"
        } catch let error as StrataError {
            detail = error.message + (error.offset.map { " (at offset \($0))" } ?? "")
        } catch {
            detail = "\(error)"
        }
        throw StrataError(.corruptFile, "device entry does not parse: \(detail)", path: path, offset: offset)
    }

    /// Reads a count, rejecting values that could not fit in the remaining bytes.
    private func count(_ reader: inout ByteReader, _ what: String) throws -> Int {
        let offset = reader.offset
        let value = try reader.readVarUInt()
        guard value <= UInt64(reader.remaining) else {
            throw StrataError(.corruptFile, "implausible \(what) \(value)", path: path, offset: offset)
        }
        return Int(value)
    }

    private func parseDevice(_ reader: inout ByteReader) throws -> DeviceEntry {
        let name = try reader.readString()
        let groupCount = try count(&reader, "column group count")
        var groups: [ColumnGroupEntry] = []
        groups.reserveCapacity(groupCount)
        for _ in 0..<groupCount {
            let chunkCount = try count(&reader, "chunk count")
            var chunks: [TimeChunkEntry] = []
            chunks.reserveCapacity(chunkCount)
            for _ in 0..<chunkCount {
                let entryOffset = reader.offset
                let location = try parseLocation(&reader)
                let pointCount = try reader.readVarUInt()
                let minTime = try reader.readVarInt()
                let maxTime = try reader.readVarInt()
                // The gap codec arrived with version 5; an older file holding it is damaged.
                let knownTimeCodec = location.codec == .timestampDeltaOfDelta || (location.codec == .timestampGaps && version >= 5)
                guard knownTimeCodec, pointCount > 0,
                      pointCount <= UInt64(SegmentFormat.maximumPointsPerChunk), minTime <= maxTime else {
                    throw StrataError(.corruptFile, "time chunk entry is inconsistent (codec \(location.codec), \(pointCount) points)", path: path, offset: entryOffset)
                }
                if let previous = chunks.last, previous.maxTime >= minTime {
                    throw StrataError(.corruptFile, "time chunks overlap or are out of order", path: path, offset: entryOffset)
                }
                chunks.append(TimeChunkEntry(location: location, count: Int(pointCount), minTime: minTime, maxTime: maxTime))
            }
            groups.append(ColumnGroupEntry(timeChunks: chunks))
        }
        let metricCount = try count(&reader, "metric count")
        var metrics: [MetricEntry] = []
        metrics.reserveCapacity(metricCount)
        for _ in 0..<metricCount {
            let entryOffset = reader.offset
            let metricName = try reader.readString()
            let typeCode = try reader.readUInt8()
            let group = try reader.readVarUInt()
            guard let type = ValueType(rawValue: typeCode), group < UInt64(groups.count) else {
                throw StrataError(.corruptFile, "metric \(metricName.debugDescription) has value type \(typeCode) or column group \(group), neither known", path: path, offset: entryOffset)
            }
            let chunkCount = groups[Int(group)].timeChunks.count
            var chunks: [ValueChunkEntry] = []
            chunks.reserveCapacity(chunkCount)
            for _ in 0..<chunkCount {
                let location = try parseLocation(&reader)
                let allowed = switch (type, location.codec) {
                case (.float64, .floatGorilla), (.float64, .floatDecimal), (.int64, .intDeltaZigzag), (.int64, .intPatched): true
                default: false
                }
                guard allowed else {
                    throw StrataError(.corruptFile, "\(type) chunk has codec \(location.codec)", path: path, offset: entryOffset)
                }
                var entry = ValueChunkEntry(
                    location: location,
                    minBits: try reader.readUInt64(), maxBits: try reader.readUInt64(),
                    firstBits: try reader.readUInt64(), lastBits: try reader.readUInt64(),
                    sum: Double(bitPattern: try reader.readUInt64()))
                if version >= 2 {
                    let valueCount = try reader.readVarUInt()
                    guard valueCount <= UInt64(SegmentFormat.maximumPointsPerChunk) else {
                        throw StrataError(.corruptFile, "value chunk claims \(valueCount) values", path: path, offset: reader.offset)
                    }
                    entry.valueCount = Int(valueCount)
                    entry.m2 = Double(bitPattern: try reader.readUInt64())
                }
                chunks.append(entry)
            }
            if let previous = metrics.last, !UTF8Order.precedes(previous.name, metricName) {
                throw StrataError(.corruptFile, "index lists metrics out of order", path: path, offset: entryOffset)
            }
            metrics.append(MetricEntry(name: metricName, type: type, group: Int(group), chunks: chunks))
        }
        return DeviceEntry(name: name, groups: groups, metrics: metrics)
    }

    private func parseLocation(_ reader: inout ByteReader) throws -> ChunkLocation {
        let entryOffset = reader.offset
        let offset = try reader.readVarUInt()
        let length = try reader.readVarUInt()
        let codecCode = try reader.readUInt8()
        let checksum = try reader.readUInt32()
        // Version 3 keeps a chunk's compression in the codec byte's two high bits.
        let compressionCode = version >= 3 ? codecCode >> 6 : 0
        guard let codec = ColumnCodec(rawValue: version >= 3 ? codecCode & 0x3F : codecCode),
              let compression = ChunkCompression(code: compressionCode) else {
            throw StrataError(.corruptFile, "unknown codec \(codecCode)", path: path, offset: entryOffset)
        }
        guard offset >= UInt64(SegmentFormat.headerSize), length <= UInt64(indexOffset), offset <= UInt64(indexOffset) - length else {
            throw StrataError(.corruptFile, "chunk at \(offset) of \(length) bytes lies outside the data region", path: path, offset: entryOffset)
        }
        return ChunkLocation(offset: Int(offset), length: Int(length), codec: codec, compression: compression, checksum: checksum)
    }
}
