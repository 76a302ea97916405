import Foundation
import Testing
import SwitchyardFuzz

/// Replays the committed fuzz corpus (`Tests/FuzzCorpus/<target>/`, kept by scripts/fuzz.sh)
/// through the same entry functions the libFuzzer binary calls: an input that once crashed or
/// broke an invariant, or that reached new code, stays checked on every `swift test`.
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
    static func inputs(_ target: String) -> [URL] {
        let directory = URL(fileURLWithPath: FuzzTargets.corpusRoot).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { directory.appendingPathComponent($0) }
    }

    @Test("every target has a committed corpus", arguments: FuzzTargets.all.map(\.name))
    func corpusExists(target: String) {
        #expect(Self.inputs(target).count >= 3, "Tests/FuzzCorpus/\(target) has too few inputs")
    }

    @Test("the corpus replays without a crash or broken invariant", arguments: FuzzTargets.all.map(\.name))
    func replay(target: String) throws {
        let run = try #require(FuzzTargets.target(named: target))
        for url in Self.inputs(target) {
            run([UInt8](try Data(contentsOf: url)))
        }
    }
}
