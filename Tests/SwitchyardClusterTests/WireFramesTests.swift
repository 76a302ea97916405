import Testing
import SwitchyardWire
import SwitchyardZMQ
@testable import SwitchyardCluster

@Suite("WireFrames")
struct WireFramesTests {
    @Test func dispatchSurvivesAZeroMQRoundTripOverInproc() throws {
        let limits = try ModelLimits(layers: 2, expertsPerLayer: 4, hiddenSize: 256, maxRows: 64)
        var header = Switchyard_V1_DispatchHeader()
        header.dispatchID = 7
        header.step = 3
        header.layer = 1
        header.hiddenSize = 256
        header.dtype = .f32
        var segment = Switchyard_V1_Segment()
        segment.expert = 2
        segment.rows = 3
        header.segments = [segment]
        header.totalRows = 3
        header.tokenCount = 2
        header.gateWeights = [0.5, 0.25, 1]
        header.tokenSlots = [0, 1, 1]
        let values = (0 ..< 3 * 256).map { Float($0) * 0.5 }
        let sent = WireMessage.dispatch(header, rows: TensorBytes(f32: values))

        let context = try Context()
        let server = try Socket(context, type: .router)
        try SocketSetup.configureRouter(server, maxMessageBytes: WireLimits.maxMessageBytes(for: limits))
        try server.bind("inproc://wire-frames")
        let client = try Socket(context, type: .dealer)
        try SocketSetup.configureWorker(client, routingID: "w1", maxMessageBytes: WireLimits.maxMessageBytes(for: limits))
        try client.connect("inproc://wire-frames")
        try client.set(.sendTimeout, 2000)
        try server.set(.receiveTimeout, 2000)

        try client.send(try WireFrames.message(sent))
        let received = try server.receive()
        // The worker id plus this process's tag (issue 21: another process with the same id is refused).
        #expect(received.frames[0].bytes == SocketSetup.routingID(worker: "w1"))
        #expect(received.frames[0].string?.hasPrefix("w1#") == true)
        let decoded = try WireDecoder(limits: limits).decode(WireFrames.wireFrames(received, skip: 1))
        #expect(decoded == sent)
        if case .dispatch(_, let rows) = decoded {
            #expect(rows.floats(as: .f32) == values)
        } else {
            Issue.record("decoded \(decoded.kind), expected a dispatch")
        }
        client.close()
        server.close()
    }
}
