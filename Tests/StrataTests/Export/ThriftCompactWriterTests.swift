import Testing
@testable import Strata

@Suite("Thrift compact protocol and the Parquet encodings, byte for byte")
struct ThriftCompactWriterTests {
    @Test("varints and zigzag follow the compact protocol specification")
    func integers() {
        func zigzag(_ value: Int64) -> [UInt8] {
            var writer = ThriftCompactWriter()
            writer.writeZigzag(value)
            return writer.bytes
        }
        #expect(zigzag(0) == [0x00])
        #expect(zigzag(-1) == [0x01])
        #expect(zigzag(1) == [0x02])
        #expect(zigzag(-64) == [0x7F])
        #expect(zigzag(64) == [0x80, 0x01])
        #expect(zigzag(150) == [0xAC, 0x02])
        #expect(zigzag(.min) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        var writer = ThriftCompactWriter()
        writer.writeVarint(300)
        #expect(writer.bytes == [0xAC, 0x02])
    }

    @Test("field headers use deltas up to 15, the long form beyond, and booleans live in the type")
    func fieldHeaders() {
        var writer = ThriftCompactWriter()
        writer.writeStructBody { body in
            body.writeI32(id: 1, 5)        // delta 1, type 5: 0x15, zigzag 5 = 10
            body.writeBool(id: 2, true)    // delta 1, type 1: 0x11
            body.writeBool(id: 3, false)   // delta 1, type 2: 0x12
            body.writeI64(id: 20, -2)      // delta 17: type byte 0x06, then zigzag id 20 = 40, zigzag -2 = 3
            body.writeString(id: 21, "ab") // delta 1, type 8: 0x18, length 2
        }
        #expect(writer.bytes == [0x15, 0x0A, 0x11, 0x12, 0x06, 0x28, 0x03, 0x18, 0x02, 0x61, 0x62, 0x00])
    }

    @Test("lists: short and long headers; nested structs restart and then restore field ids")
    func listsAndStructs() {
        var writer = ThriftCompactWriter()
        writer.writeStructBody { body in
            body.writeI32List(id: 1, [0, 3, 8])  // 0x19, header 3 << 4 | 5, zigzag values
            body.writeStruct(id: 2) { inner in inner.writeI32(id: 1, 1) }
            body.writeI32(id: 3, 0)             // delta from 2, not from the inner 1
        }
        #expect(writer.bytes == [0x19, 0x35, 0x00, 0x06, 0x10, 0x1C, 0x15, 0x02, 0x00, 0x15, 0x00, 0x00])

        var long = ThriftCompactWriter()
        long.writeListHeader(elementType: .i32, count: 15)
        #expect(long.bytes == [0xF5, 0x0F])
    }

    @Test("a data page header encodes as parquet.thrift's PageHeader")
    func pageHeader() {
        let header = ParquetPageHeader(type: .dataPage, uncompressedSize: 100, compressedSize: 50,
                                       dataPage: ParquetDataPageHeader(valueCount: 10, encoding: .rleDictionary))
        #expect(header.thriftCompactBytes == [
            0x15, 0x00,        // 1: type DATA_PAGE
            0x15, 0xC8, 0x01,  // 2: uncompressed_page_size 100
            0x15, 0x64,        // 3: compressed_page_size 50
            0x2C,              // 5: data_page_header (delta 2, struct)
            0x15, 0x14,        //   1: num_values 10
            0x15, 0x10,        //   2: encoding RLE_DICTIONARY (8)
            0x15, 0x06,        //   3: definition_level_encoding RLE (3)
            0x15, 0x06,        //   4: repetition_level_encoding RLE (3)
            0x00,              //   stop
            0x00,              // stop
        ])
    }

    @Test("the ts schema element carries TIMESTAMP(MILLIS, UTC) and the legacy TIMESTAMP_MILLIS")
    func timestampSchemaElement() {
        let element = ParquetSchema.points.elements[3]
        #expect(element.name == "ts")
        #expect(element.thriftCompactBytes == [
            0x15, 0x04,              // 1: type INT64 (2)
            0x25, 0x00,              // 3: repetition_type REQUIRED
            0x18, 0x02, 0x74, 0x73,  // 4: name "ts"
            0x25, 0x12,              // 6: converted_type TIMESTAMP_MILLIS (9)
            0x4C,                    // 10: logicalType (delta 4, struct)
            0x8C,                    //   8: TIMESTAMP (delta 8, struct)
            0x11,                    //     1: isAdjustedToUTC true
            0x1C, 0x1C, 0x00, 0x00,  //     2: unit { 1: MILLIS {} }
            0x00,                    //   stop TimestampType
            0x00,                    // stop LogicalType
            0x00,                    // stop SchemaElement
        ])
    }

    @Test("the RLE/bit-packing hybrid: long runs as RLE, the rest bit-packed in groups of eight")
    func hybrid() {
        var runs = RLEBitPackedHybridEncoder(bitWidth: 3)
        runs.append(5, count: 10)
        #expect(runs.finish() == [0x14, 0x05])  // header 10 << 1, value in one byte

        var literals = RLEBitPackedHybridEncoder(bitWidth: 1)
        for value: UInt32 in [0, 1, 0, 1, 0, 1, 0, 1] { literals.append(value) }
        #expect(literals.finish() == [0x03, 0xAA])  // one group: header 1 << 1 | 1

        // Three literals are topped up to a group from the run that follows, which then goes RLE.
        var mixed = RLEBitPackedHybridEncoder(bitWidth: 2)
        for value: UInt32 in [1, 2, 3] { mixed.append(value) }
        mixed.append(0, count: 20)
        // Group 1,2,3,0,0,0,0,0 at 2 bits: 0b00_11_10_01 = 0x39, then 0x00; RLE of the 15 zeros left.
        #expect(mixed.finish() == [0x03, 0x39, 0x00, 0x1E, 0x00])

        var short = RLEBitPackedHybridEncoder(bitWidth: 1)
        short.append(1, count: 3)  // padded to one group
        #expect(short.finish() == [0x03, 0x07])
    }
}
