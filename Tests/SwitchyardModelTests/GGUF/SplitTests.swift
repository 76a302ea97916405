import Foundation
import Testing
import SwitchyardModel

@Suite struct SplitTests {
    var splitDir: String { GGUFFixtures.path("split") }

    func check(_ m: GGUFModelFiles) throws {
        let split = GGUFFixtures.expected()["split"] as! [String: Any]
        #expect(m.files.count == 2)
        #expect(m.tensorNames.count == split["tensor_count"] as! Int)
        #expect(Set(m.tensorNames) == Set(split["tensor_order"] as! [String]))
        #expect(m.files[0].tensors.count == 7 && m.files[1].tensors.count == 5)
        #expect(try m.metadata.int("split.count") == 2)
        let tensors = split["tensors"] as! [String: [String: Any]]
        for (name, e) in tensors {
            #expect([UInt8](try m.tensorData(named: name)).prefix(16).hex == e["first_bytes_hex"] as! String)
        }
        #expect(m.tensor(named: "output_norm.weight")?.fileIndex == 1)
        let info = try GGUFModelInfo(model: m)
        #expect(info.blockCount == 1 && info.expertCount == 4)
    }

    @Test func openByFirstSecondOrDirectory() throws {
        let names = (GGUFFixtures.expected()["split"] as! [String: Any])["files"] as! [String]
        try check(GGUFModelFiles(path: splitDir + "/" + names[0]))
        try check(GGUFModelFiles(path: splitDir + "/" + names[1]))
        try check(GGUFModelFiles(path: splitDir))
    }

    @Test func singleFileModel() throws {
        let m = try GGUFModelFiles(path: GGUFFixtures.tinyPath)
        #expect(m.files.count == 1 && m.tensorNames.count == 12)
    }

    @Test func splitNames() {
        let s = GGUFModelFiles.parseSplitName("My-Model-Q4-00002-of-00010.gguf")
        #expect(s?.prefix == "My-Model-Q4" && s?.number == 2 && s?.count == 10)
        #expect(GGUFModelFiles.parseSplitName("model.gguf") == nil)
        #expect(GGUFModelFiles.splitFileName(prefix: "a", number: 3, count: 12) == "a-00003-of-00012.gguf")
    }

    @Test func missingSplit() throws {
        let dir = GGUFFixtures.tempDirectory()
        try FileManager.default.copyItem(atPath: splitDir + "/tiny-00001-of-00002.gguf", toPath: dir + "/tiny-00001-of-00002.gguf")
        #expect { try GGUFModelFiles(path: dir) } throws: { ($0 as? GGUFError)?.kind == .missingSplitFile }
    }

    @Test func splitMetadataMismatch() throws {
        let dir = GGUFFixtures.tempDirectory()
        try FileManager.default.copyItem(atPath: GGUFFixtures.tinyPath, toPath: dir + "/x-00001-of-00002.gguf")
        try FileManager.default.copyItem(atPath: splitDir + "/tiny-00002-of-00002.gguf", toPath: dir + "/x-00002-of-00002.gguf")
        #expect { try GGUFModelFiles(path: dir) } throws: { ($0 as? GGUFError)?.kind == .splitMismatch }
    }

    @Test func directoryErrors() throws {
        let empty = GGUFFixtures.tempDirectory()
        #expect { try GGUFModelFiles(path: empty) } throws: { ($0 as? GGUFError)?.kind == .noGGUFFiles }
        let two = GGUFFixtures.tempDirectory()
        try FileManager.default.copyItem(atPath: GGUFFixtures.tinyPath, toPath: two + "/a.gguf")
        try FileManager.default.copyItem(atPath: GGUFFixtures.tinyPath, toPath: two + "/b.gguf")
        #expect { try GGUFModelFiles(path: two) } throws: { ($0 as? GGUFError)?.kind == .ambiguousDirectory }
    }
}
