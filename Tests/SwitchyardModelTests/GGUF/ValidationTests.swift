import Foundation
import Testing
import SwitchyardModel

/// Each test corrupts a copy of tiny_moe.gguf at an offset recorded by the
/// fixture generator and checks the specific error.
@Suite struct ValidationTests {
    let q = "blk.0.attn_q.weight"
    let k = "blk.0.attn_k.weight"

    @Test func validFixtureOpens() throws {
        #expect(openError(GGUFFixtures.tinyBytes()).0 == nil)
    }

    @Test func badMagic() {
        var b = GGUFFixtures.tinyBytes()
        b[0] = UInt8(ascii: "X")
        expectFailure(.badMagic, b)
    }

    @Test func unsupportedVersions() {
        for v: UInt32 in [1, 4, 0] {
            var b = GGUFFixtures.tinyBytes()
            b.put(v, at: 4)
            let e = expectFailure(.unsupportedVersion, b)
            #expect(e?.detail.contains("version \(v)") == true)
        }
    }

    @Test func bigEndian() {
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt32(3).byteSwapped, at: 4)
        let e = expectFailure(.bigEndian, b)
        #expect(e?.detail.contains("big-endian") == true)
    }

    @Test func truncatedHeader() {
        expectFailure(.truncatedHeader, Array(GGUFFixtures.tinyBytes().prefix(12)))
        expectFailure(.truncatedHeader, Array(GGUFFixtures.tinyBytes().prefix(2)))
        expectFailure(.truncatedHeader, [])
    }

    @Test func truncatedMetadata() {
        let cut = GGUFFixtures.kvLayout("test.f64")["value_offset"]! + 3
        expectFailure(.truncatedMetadata, Array(GGUFFixtures.tinyBytes().prefix(cut)), key: "test.f64")
    }

    @Test func truncatedTensorInfo() {
        let cut = GGUFFixtures.tensorLayout(q)["dims_offset"]! + 4
        expectFailure(.truncatedTensorInfo, Array(GGUFFixtures.tinyBytes().prefix(cut)), tensor: q)
    }

    @Test func absurdCounts() {
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt64(1) << 62, at: 16)
        expectFailure(.absurdCount, b)
        b = GGUFFixtures.tinyBytes()
        b.put(UInt64(1) << 62, at: 8)
        expectFailure(.absurdCount, b)
        b = GGUFFixtures.tinyBytes()
        b.put(UInt64(1) << 40, at: GGUFFixtures.kvLayout("test.arr_i32")["value_offset"]! + 4)
        expectFailure(.absurdCount, b, key: "test.arr_i32")
    }

    @Test func absurdStringLengths() {
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt64(1) << 60, at: 24)  // first key's length
        expectFailure(.absurdStringLength, b)
        b = GGUFFixtures.tinyBytes()
        b.put(UInt64(b.count), at: GGUFFixtures.kvLayout("test.string")["value_offset"]!)
        expectFailure(.absurdStringLength, b, key: "test.string")
        b = GGUFFixtures.tinyBytes()
        b.put(UInt64.max, at: GGUFFixtures.tensorLayout(k)["offset"]!)
        expectFailure(.absurdStringLength, b)
    }

    @Test func unknownValueType() {
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt32(99), at: GGUFFixtures.kvLayout("test.u8")["type_offset"]!)
        expectFailure(.unknownValueType, b, key: "test.u8")
        b = GGUFFixtures.tinyBytes()
        b.put(UInt32(13), at: GGUFFixtures.kvLayout("test.arr_i32")["value_offset"]!)  // element type
        expectFailure(.unknownValueType, b, key: "test.arr_i32")
    }

    @Test func duplicateKey() {
        var b = GGUFFixtures.tinyBytes()
        // "test.i8" -> "test.u8" (same length).
        b[GGUFFixtures.kvLayout("test.i8")["offset"]! + 8 + 5] = UInt8(ascii: "u")
        expectFailure(.duplicateKey, b, key: "test.u8")
    }

    @Test func invalidAlignment() {
        for a: UInt32 in [48, 0, 3] {
            var b = GGUFFixtures.tinyBytes()
            b.put(a, at: GGUFFixtures.kvLayout("general.alignment")["value_offset"]!)
            expectFailure(.invalidAlignment, b, key: "general.alignment")
        }
    }

    @Test func unknownTensorType() {
        for t: UInt32 in [4, 31, 200] {
            var b = GGUFFixtures.tinyBytes()
            b.put(t, at: GGUFFixtures.tensorLayout(q)["type_offset"]!)
            let e = expectFailure(.unknownTensorType, b, tensor: q)
            #expect(e?.detail.contains("\(t)") == true)
        }
    }

    @Test func tooManyDimensions() {
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt32(5), at: GGUFFixtures.tensorLayout(q)["n_dims_offset"]!)
        expectFailure(.tooManyDimensions, b, tensor: q)
    }

    @Test func dimensionsProductOverflow() {
        var b = GGUFFixtures.tinyBytes()
        let d = GGUFFixtures.tensorLayout(q)["dims_offset"]!
        b.put(UInt64(1) << 40, at: d)
        b.put(UInt64(1) << 40, at: d + 8)
        expectFailure(.elementCountOverflow, b, tensor: q)
        b = GGUFFixtures.tinyBytes()
        b.put(UInt64(1) << 63, at: d)  // negative as int64
        expectFailure(.invalidDimension, b, tensor: q)
    }

    @Test func rowNotMultipleOfBlockSize() {
        let v = "blk.0.attn_v.weight"  // q8_0, block 32
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt64(33), at: GGUFFixtures.tensorLayout(v)["dims_offset"]!)
        let e = expectFailure(.rowNotMultipleOfBlockSize, b, tensor: v)
        #expect(e?.detail.contains("q8_0") == true)
    }

    @Test func tensorPastEndOfFile() {
        let last = "output_norm.weight"
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt64(1) << 40, at: GGUFFixtures.tensorLayout(last)["data_offset_offset"]!)
        expectFailure(.tensorPastEndOfFile, b, tensor: last)
        // Truncating the data section moves the last tensor past the end.
        b = GGUFFixtures.tinyBytes()
        expectFailure(.tensorPastEndOfFile, Array(b.dropLast(100)), tensor: last)
        b = GGUFFixtures.tinyBytes()
        b.put(UInt64.max - 63, at: GGUFFixtures.tensorLayout(last)["data_offset_offset"]!)
        expectFailure(.tensorPastEndOfFile, b, tensor: last)
    }

    @Test func misalignedTensorOffset() {
        var b = GGUFFixtures.tinyBytes()
        let l = GGUFFixtures.tensorLayout(k)
        b.put(UInt64(l["data_offset"]! + 32), at: l["data_offset_offset"]!)
        expectFailure(.misalignedTensorOffset, b, tensor: k)
    }

    @Test func overlappingTensors() {
        var b = GGUFFixtures.tinyBytes()
        b.put(UInt64(GGUFFixtures.tensorLayout(q)["data_offset"]!), at: GGUFFixtures.tensorLayout(k)["data_offset_offset"]!)
        let e = expectFailure(.overlappingTensors, b)
        #expect(e?.description.contains(q) == true && e?.description.contains(k) == true)
    }

    @Test func duplicateTensorName() {
        var b = GGUFFixtures.tinyBytes()
        b[GGUFFixtures.tensorLayout(k)["offset"]! + 8 + 11] = UInt8(ascii: "q")  // attn_k -> attn_q
        expectFailure(.duplicateTensorName, b, tensor: q)
    }

    @Test func arrayNestingTooDeep() {
        // Header with one KV whose value is 20 nested arrays.
        var b: [UInt8] = Array("GGUF".utf8)
        b += [3, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [1] + [UInt8](repeating: 0, count: 7)
        b += [1, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "k")] + [9, 0, 0, 0]
        for _ in 0 ..< 20 { b += [9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] }
        b += [UInt8](repeating: 0, count: 64)
        expectFailure(.arrayNestingTooDeep, b, key: "k")
    }

    @Test func randomCorruptionNeverCrashes() {
        // Flip bytes across the header; every outcome must be a clean open or a GGUFError.
        var rng = SystemRandomNumberGenerator()
        let original = GGUFFixtures.tinyBytes()
        let headerEnd = GGUFFixtures.layout()["header_end"] as! Int
        for _ in 0 ..< 200 {
            var b = original
            for _ in 0 ..< 3 { b[Int.random(in: 0 ..< headerEnd, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng) }
            _ = openError(b)
        }
    }
}
