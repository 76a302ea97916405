import Testing
import SwitchyardModel
@testable import SwitchyardCluster

@Suite("Hot experts replicated first (EPLB-like)")
struct ExpertReplicationTests {
    let keys = (0 ..< 4).map { ExpertKey(layer: 0, expert: $0) }

    @Test func spareSlotsGoToTheHottestByLoadPerCopy() {
        let load: [ExpertKey: UInt64] = [keys[0]: 900, keys[1]: 300, keys[2]: 100, keys[3]: 0]
        let copies = ExpertReplication.copies(keys: keys, load: load, slots: 7, maxCopies: 3)
        // 900/1 → 2 copies; 450 > 300 → 3 (cap); then 300 → 2; the cold ones keep 1.
        #expect(copies == [keys[0]: 3, keys[1]: 2, keys[2]: 1, keys[3]: 1])
        #expect(copies.values.reduce(0, +) == 7)
    }

    @Test func noSpareRoomOrNoLoadMeansOneCopyEach() {
        #expect(ExpertReplication.copies(keys: keys, load: [keys[0]: 5], slots: 4, maxCopies: 3).values.allSatisfy { $0 == 1 })
        #expect(ExpertReplication.copies(keys: keys, load: [:], slots: 12, maxCopies: 3).values.allSatisfy { $0 == 1 })
        // The cap stops a single hot key from taking every slot.
        let capped = ExpertReplication.copies(keys: keys, load: [keys[2]: 10], slots: 12, maxCopies: 2)
        #expect(capped[keys[2]] == 2 && capped.values.reduce(0, +) == 5)
    }

    @Test func placementHonoursPerKeyCopiesOnDistinctWorkers() {
        let copies: [ExpertKey: Int] = [keys[0]: 3, keys[1]: 2, keys[2]: 1, keys[3]: 1]
        let plan = Placement.plan(keys: keys, workers: [.init(id: "a"), .init(id: "b"), .init(id: "c")], copies: copies)
        for key in keys { #expect(plan.values.filter { $0.contains(key) }.count == copies[key]) }
        let counts = plan.values.map(\.count).sorted()
        #expect(counts.last! - counts.first! <= 1)
    }
}
