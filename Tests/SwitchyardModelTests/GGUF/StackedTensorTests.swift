import Foundation
import Testing
import SwitchyardModel

@Suite struct StackedTensorTests {
    let gate = "blk.0.ffn_gate_exps.weight"  // q8_0, [E=4, out=96, in=64]

    @Test func expertRanges() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        let t = try f.requireTensor(gate)
        #expect(t.expertCount == 4 && t.rowsPerExpert == 96 && t.shape == [4, 96, 64])
        let per = 96 * (64 / 32 * 34)
        #expect(t.expertByteCount == per)
        var covered = t.fileOffset
        for e in 0 ..< 4 {
            let r = try f.byteRange(ofTensor: gate, expert: e)
            #expect(r == covered ..< covered + per)
            covered = r.upperBound
        }
        #expect(covered == t.fileRange.upperBound)
        #expect(try f.byteRange(ofTensor: gate, experts: 1 ..< 3) == t.fileOffset + per ..< t.fileOffset + 3 * per)
        let rows = try f.byteRange(ofTensor: gate, expert: 2, rows: 5 ..< 7)
        #expect(rows.lowerBound == t.fileOffset + 2 * per + 5 * t.rowByteCount && rows.count == 2 * t.rowByteCount)
        #expect(try f.byteRange(ofTensor: gate, rows: 96 ..< 192) == (try f.byteRange(ofTensor: gate, expert: 1)))
        let whole = [UInt8](try f.tensorData(named: gate))
        #expect([UInt8](try f.expertData(ofTensor: gate, expert: 3)) == Array(whole[3 * per ..< 4 * per]))
    }

    @Test func errors() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        #expect { try f.byteRange(ofTensor: gate, expert: 4) } throws: { ($0 as? GGUFError)?.kind == .indexOutOfRange }
        #expect { try f.byteRange(ofTensor: gate, expert: 0, rows: 90 ..< 97) } throws: { ($0 as? GGUFError)?.kind == .indexOutOfRange }
        #expect { try f.byteRange(ofTensor: "blk.0.attn_q.weight", expert: 0) } throws: { ($0 as? GGUFError)?.kind == .notStackedTensor }
        #expect { try f.byteRange(ofTensor: "missing", expert: 0) } throws: { ($0 as? GGUFError)?.kind == .tensorNotFound }
    }

    @Test func mapOnlySomeExperts() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        let region = try f.mapExperts(ofTensor: gate, experts: 1 ..< 3)
        let range = try f.byteRange(ofTensor: gate, experts: 1 ..< 3)
        #expect(region.fileRange == range)
        #expect(region.bytes.count == range.count)
        #expect([UInt8](region.bytes) == [UInt8](try f.bytes(fileRange: range)))
    }

    @Test func mapUnalignedSubRanges() throws {
        let all = GGUFFixtures.tinyBytes()
        for range in [0 ..< 10, 4097 ..< 5000, 4096 ..< 8192, 100_000 ..< all.count, 7 ..< 7] {
            let r = try GGUFMappedRegion(path: GGUFFixtures.tinyPath, fileRange: range)
            #expect([UInt8](r.bytes) == Array(all[range]))
        }
        #expect { try GGUFMappedRegion(path: GGUFFixtures.tinyPath, fileRange: 0 ..< all.count + 1) } throws: {
            ($0 as? GGUFError)?.kind == .indexOutOfRange
        }
        #expect { try GGUFMappedRegion(path: "/nonexistent/x.gguf") } throws: { ($0 as? GGUFError)?.kind == .cannotOpen }
    }
}
