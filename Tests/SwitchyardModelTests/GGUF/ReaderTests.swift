import Foundation
import Testing
import SwitchyardModel

@Suite struct ReaderTests {
    @Test func headerAndLayout() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        let tiny = GGUFFixtures.tiny()
        #expect(f.version == 3)
        #expect(f.alignment == 64)
        #expect(f.architecture == "llama")
        #expect(f.tensors.count == tiny["tensor_count"] as! Int)
        #expect(f.tensorNames == tiny["tensor_order"] as! [String])
        let headerEnd = GGUFFixtures.layout()["header_end"] as! Int
        #expect(f.dataSectionOffset == (headerEnd + 63) / 64 * 64)
        #expect(f.fileSize == GGUFFixtures.layout()["file_size"] as! Int)
    }

    @Test func everyMetadataType() throws {
        let m = try GGUFFile(path: GGUFFixtures.tinyPath).metadata
        #expect(m["test.u8"] == .uint8(200))
        #expect(m["test.i8"] == .int8(-100))
        #expect(m["test.u16"] == .uint16(60000))
        #expect(m["test.i16"] == .int16(-30000))
        #expect(m["test.u32"] == .uint32(4_000_000_000))
        #expect(m["test.i32"] == .int32(-2_000_000_000))
        #expect(m["test.f32"] == .float32(1.5))
        #expect(m["test.bool"] == .bool(true))
        #expect(m["test.string"] == .string("héllo wörld"))
        #expect(m["test.u64"] == .uint64(18_000_000_000_000_000_000))
        #expect(m["test.i64"] == .int64(-9_000_000_000_000_000_000))
        #expect(m["test.f64"] == .float64(2.25))
        #expect(try m.intArray("test.arr_i32") == [1, -2, 3])
        #expect(try m.stringArray("test.arr_str") == ["x", "yy", ""])
        let nested = try #require(m["test.arr_nested"]?.arrayValues)
        #expect(nested.map { $0.arrayValues!.map { $0.intValue! } } == [[1, 2], [3], [4, 5, 6]])
        let nestedStr = try #require(m["test.arr_nested_str"]?.arrayValues)
        #expect(nestedStr.map { $0.arrayValues!.map { $0.stringValue! } } == [["p"], ["q", "r"]])
        #expect(m["test.arr_nested"]?.typeDescription == "array[array]")
        // Compare with the JSON for the scalar keys the generator recorded.
        let kv = GGUFFixtures.tiny()["kv"] as! [String: Any]
        #expect(try m.int("test.i64") == kv["test.i64"] as? Int)
        #expect(try m.string("test.string") == kv["test.string"] as? String)
        #expect(m.keys.first == "general.architecture")
        #expect(m.keys.count == (GGUFFixtures.layout()["kv"] as! [String: Any]).count)
        // Typed accessor errors name file and key.
        #expect(throws: GGUFError.self) { try m.int("test.string") }
    }

    @Test func tensorInfosAndBytesMatchGenerator() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        let expected = GGUFFixtures.tiny()["tensors"] as! [String: [String: Any]]
        for (name, e) in expected {
            let t = try f.requireTensor(name)
            #expect(t.type.rawValue == UInt32(e["type"] as! Int), "\(name)")
            #expect(t.dimensions == e["dims"] as! [Int], "\(name)")
            #expect(t.byteCount == e["nbytes"] as! Int, "\(name)")
            #expect(t.fileOffset == f.dataSectionOffset + (GGUFFixtures.tensorLayout(name)["data_offset"]!))
            #expect(t.fileOffset % f.alignment == 0)
            let data = [UInt8](try f.tensorData(named: name))
            #expect(data.prefix(16).hex == e["first_bytes_hex"] as! String, "\(name)")
            #expect(data.suffix(16).hex == e["last_bytes_hex"] as! String, "\(name)")
        }
        let types = Set(f.tensors.map(\.type))
        #expect(types == [.f32, .f16, .bf16, .q8_0, .q4_0])
        let q = try f.requireTensor("blk.0.attn_v.weight")
        #expect(q.rowByteCount == 64 / 32 * 34)
        #expect(q.shape == [32, 64])
        #expect(try f.withTensorData(named: "output_norm.weight") { $0.count } == 64 * 4)
        #expect(throws: GGUFError.self) { try f.tensorData(named: "nope") }
    }

    @Test func f32TensorValuesDecode() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        let e = (GGUFFixtures.tiny()["tensors"] as! [String: [String: Any]])["token_embd.weight"]!
        let data = try f.tensorData(named: "token_embd.weight")
        let first = (0 ..< 4).map { Double(Float(bitPattern: data.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        let want = e["first_values"] as! [Double]
        for (a, b) in zip(first, want) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func version2IsAccepted() throws {
        var bytes = GGUFFixtures.tinyBytes()
        bytes.put(UInt32(2), at: 4)
        let p = GGUFFixtures.write(bytes)
        let f = try GGUFFile(path: p)
        #expect(f.version == 2)
        #expect(f.tensors.count == 12)
    }

    @Test func tensorTypeTraits() {
        #expect(GGUFTensorType.q4_0.blockSize == 32 && GGUFTensorType.q4_0.blockByteCount == 18)
        #expect(GGUFTensorType.q4_1.blockByteCount == 20)
        #expect(GGUFTensorType.q5_0.blockByteCount == 22 && GGUFTensorType.q5_1.blockByteCount == 24)
        #expect(GGUFTensorType.q8_0.blockByteCount == 34)
        #expect(GGUFTensorType.q2_K.blockSize == 256 && GGUFTensorType.q2_K.blockByteCount == 84)
        #expect(GGUFTensorType.q3_K.blockByteCount == 110 && GGUFTensorType.q4_K.blockByteCount == 144)
        #expect(GGUFTensorType.q5_K.blockByteCount == 176 && GGUFTensorType.q6_K.blockByteCount == 210)
        #expect(GGUFTensorType.mxfp4.rawValue == 39 && GGUFTensorType.mxfp4.blockByteCount == 17)
        #expect(GGUFTensorType.bf16.rawValue == 30 && GGUFTensorType(rawValue: 4) == nil)
        #expect(GGUFTensorType.q4_K.rowByteCount(rowLength: 512) == 288)
        #expect(GGUFTensorType.q4_K.rowByteCount(rowLength: 100) == nil)
        #expect(GGUFTensorType.q2_K.description == "q2_K")
    }
}
