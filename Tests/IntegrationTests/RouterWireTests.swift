import Foundation
import Testing
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardCluster
import SwitchyardWire
import SwitchyardZMQ
import Logging

@Suite("Router refuses bad wire input", .serialized)
struct RouterWireTests {
    @Test func malformedWrongVersionOversizeAndTruncatedMessagesAreDroppedAndCounted() async throws {
        let directory = GoldenCheckpoints.root.appendingPathComponent(GoldenCheckpoints.names.first!)
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let cluster = try await InProcessCluster(directory: directory, pins: [[]])
        defer { cluster.stop() }

        let context = try Context()
        let rogue = try Socket(context, type: .dealer)
        try rogue.set(.routingID, Array("rogue".utf8))
        try rogue.set(.linger, 0)
        try rogue.set(.sendTimeout, 2000)
        try rogue.connect(cluster.cluster.endpoint)
        defer { rogue.close() }

        var register = Switchyard_V1_Register()
        register.workerID = "rogue"
        let good = try WireMessage.register(register).encode()
        let header = good[0].withUnsafeBytes { Array($0) }
        var wrongVersion = header
        wrongVersion[4] = 0x7F
        let cases: [(DropReason, [Frame])] = [
            (.badMagic, [Frame(Array("XXXX".utf8) + header.dropFirst(4)), Frame([1, 2, 3])]),
            (.wrongVersion, [Frame(wrongVersion), Frame([])]),
            (.missingFrames, [Frame(header)]),
            (.badProtobuf, [Frame(header), Frame([0xFF, 0xFF, 0xFF, 0xFF])]),
        ]
        for (_, frames) in cases { try rogue.send(Message(frames)) }
        // A heartbeat from a peer that never registered is refused, not obeyed.
        try rogue.send(WireFrames.message(.heartbeat(Switchyard_V1_Heartbeat())))
        // A frame past MAXMSGSIZE: ZeroMQ drops the peer, the application never sees it.
        let huge = [UInt8](repeating: 0, count: 64 << 20)
        try? rogue.send(Message([Frame(header), Frame(huge)]))

        let deadline = ContinuousClock.now + .seconds(10)
        var drops = cluster.cluster.snapshot().drops
        while drops.total < UInt64(cases.count + 1) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            drops = cluster.cluster.snapshot().drops
        }
        for (reason, _) in cases { #expect(drops[reason] >= 1, "\(reason) not counted: \(drops)") }
        #expect(drops[.unknownPeer] >= 1)

        // The router still serves: the real worker answers a full forward pass.
        let result = try await greedyBatch(cluster.engine, prompts: [[1, 2, 3]], steps: 3)
        #expect(result[0].tokens.count == 3)
        #expect(cluster.cluster.health().ready)
    }
}
