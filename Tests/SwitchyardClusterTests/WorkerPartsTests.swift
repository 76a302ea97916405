import Foundation
import Testing
@testable import SwitchyardCluster
import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire

/// Loader, store, dispatch computer and reply pool without sockets.
struct WorkerPartsTests {
    @Test func loaderReportsBadKeysAndMissingFilesPerKey() {
        let model = TestModel.shared
        let loader = ExpertLoader(directory: model.directory, config: model.config)
        let outcome = loader.load([ExpertKey(layer: 0, expert: 1), ExpertKey(layer: 0, expert: 9), ExpertKey(layer: 5, expert: 0)])
        #expect(Set(outcome.loaded.keys) == [ExpertKey(layer: 0, expert: 1)])
        #expect(outcome.failed.map(\.key) == [ExpertKey(layer: 0, expert: 9), ExpertKey(layer: 5, expert: 0)])
        #expect(outcome.mappedBytes > 0 && outcome.mappedBytes * 5 < model.totalBytes)

        let nowhere = ExpertLoader(directory: URL(fileURLWithPath: "/nonexistent"), config: model.config).load([ExpertKey(layer: 0, expert: 0)])
        #expect(nowhere.loaded.isEmpty)
        #expect(nowhere.failed.count == 1 && nowhere.failed[0].error.contains("/nonexistent"))
    }

    @Test func storeTracksHeldKeysAndResidentBytes() throws {
        let model = TestModel.shared
        let store = ExpertStore(config: model.config)
        let loaded = ExpertLoader(directory: model.directory, config: model.config).load([ExpertKey(layer: 1, expert: 2), ExpertKey(layer: 1, expert: 4)]).loaded
        store.apply(add: loaded, drop: [])
        #expect(store.heldKeys == [ExpertKey(layer: 1, expert: 2), ExpertKey(layer: 1, expert: 4)])
        #expect(store.residentBytes == loaded.values.reduce(0) { $0 + $1.byteCount })
        store.apply(add: [:], drop: [ExpertKey(layer: 1, expert: 4), ExpertKey(layer: 7, expert: 0)])
        #expect(store.heldKeys == [ExpertKey(layer: 1, expert: 2)])
        #expect(store.residentBytes == loaded[ExpertKey(layer: 1, expert: 2)]!.byteCount)
        #expect(store.expert(layer: 1, expert: 4) == nil && store.expert(layer: -1, expert: 0) == nil)
    }

    @Test func unalignedRowsAreComputedLikeAlignedOnesAndReplyBuffersAreReused() throws {
        BLAS.setThreads(1)
        let model = TestModel.shared
        let h = model.config.hiddenSize
        let store = ExpertStore(config: model.config)
        store.apply(add: ExpertLoader(directory: model.directory, config: model.config).load([ExpertKey(layer: 0, expert: 3)]).loaded, drop: [])
        let computer = DispatchComputer(hiddenSize: h, threads: 1)
        var header = Switchyard_V1_DispatchHeader()
        header.layer = 0
        var segment = Switchyard_V1_Segment()
        segment.expert = 3
        segment.rows = 2
        header.segments = [segment]
        header.dtype = .f32
        header.hiddenSize = UInt32(h)
        header.totalRows = 2
        header.gateWeights = [0.25, 0.75]
        header.tokenSlots = [0, 0]
        header.tokenCount = 1
        let values = (0..<2 * h).map { Float($0 % 11) * 0.05 - 0.2 }
        let aligned = TensorBytes(f32: values)
        // The same bytes one byte into a buffer: not 4-byte aligned, so the computer must copy.
        let shifted = TensorBytes.build(count: aligned.count + 1) { raw in
            aligned.withUnsafeBytes { raw.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        let unaligned = TensorBytes(owner: shifted.owner!, baseAddress: shifted.baseAddress!.advanced(by: 1), count: aligned.count)
        let a = try computer.compute(header, rows: aligned, store: store).get().floats(as: .f32)
        let b = try computer.compute(header, rows: unaligned, store: store).get().floats(as: .f32)
        #expect(a == b)
        #expect(a?.count == h)
        #expect(a?.contains { $0 != 0 } == true)
        // Replies released above went back to the pool.
        let pool = ReplyBufferPool()
        do { _ = pool.take(floats: 64).tensorBytes }
        #expect(pool.idleCount == 1)
        let reused = pool.take(floats: 32)
        #expect(pool.idleCount == 0)
        _ = reused
    }
}
