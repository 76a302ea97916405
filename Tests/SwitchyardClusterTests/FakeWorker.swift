import Foundation
import Synchronization
import SwitchyardModel
import SwitchyardCluster
import SwitchyardWire
import SwitchyardZMQ

/// A worker stand-in for router tests: registers, acknowledges every assignment and heartbeats like
/// a real worker, but never computes: dispatches are swallowed (no reply) or refused (error reply).
/// `kill()` closes its socket without a goodbye, as SIGKILL would. One thread owns the socket.
final class FakeWorker: Sendable {
    enum Behaviour: Sendable { case swallow, refuse }

    private struct State {
        var dispatches = 0
        var killed = false
        var held: Set<ExpertKey> = []
        var refusals: [Switchyard_V1_ErrorCode] = []
        var disconnects: [String] = []
    }
    private let state = Mutex(State())
    private let done = Mutex(false)
    let id: String

    init(endpoint: String, id: String, behaviour: Behaviour, pinned: [UInt32] = [], heartbeat: Duration = .milliseconds(250),
         instance: String = SocketSetup.processInstance) throws {
        self.id = id
        let model = TestModel.shared
        let fingerprint = try ModelIdentity.fingerprint(config: model.config, directory: model.directory)
        let decoder = WireDecoder(limits: model.limits)
        let zmq = try Context()
        let dealer = try Socket(zmq, type: .dealer)
        try SocketSetup.configureWorker(dealer, routingID: id, maxMessageBytes: decoder.maxMessageBytes, instance: instance)
        try dealer.set(.receiveTimeout, 20)
        try dealer.connect(endpoint)
        var register = Switchyard_V1_Register()
        register.workerID = id
        register.capacity.threads = 1
        register.model = fingerprint
        register.pinnedExperts = pinned
        try dealer.send(try WireFrames.message(.register(register)))
        // From here on the thread below is the socket's only user.
        nonisolated(unsafe) let socket = dealer
        nonisolated(unsafe) let context = zmq
        let thread = Thread { [self] in
            var lastBeat = ContinuousClock.now
            var sequence: UInt64 = 0
            while !state.withLock({ $0.killed }) {
                if ContinuousClock.now - lastBeat >= heartbeat {
                    lastBeat = .now
                    sequence += 1
                    var beat = Switchyard_V1_Heartbeat()
                    beat.sequence = sequence
                    try? socket.send(try! WireFrames.message(.heartbeat(beat)), flags: .dontWait)
                }
                guard let message = try? socket.receive(), let decoded = try? decoder.decode(WireFrames.wireFrames(message)) else { continue }
                switch decoded {
                case .assignment(let assignment):
                    let held = state.withLock { state -> Set<ExpertKey> in
                        for ref in assignment.load { state.held.insert(ExpertKey(layer: Int(ref.layer), expert: Int(ref.expert))) }
                        for ref in assignment.drop { state.held.remove(ExpertKey(layer: Int(ref.layer), expert: Int(ref.expert))) }
                        return state.held
                    }
                    var ack = Switchyard_V1_AssignmentAck()
                    ack.placementVersion = assignment.placementVersion
                    ack.loaded = held.sorted().map { ref($0.layer, $0.expert) }
                    try? socket.send(try! WireFrames.message(.assignmentAck(ack)), flags: .dontWait)
                case .dispatch(let header, _):
                    state.withLock { $0.dispatches += 1 }
                    if behaviour == .refuse {
                        let reply = Switchyard_V1_DispatchReply.failure(answering: header, error: "fake worker refuses")
                        try? socket.send(try! WireFrames.message(.reply(reply, rows: nil)), flags: .dontWait)
                    }
                case .refusal(let refusal):
                    state.withLock { $0.refusals.append(refusal.code) }
                case .disconnect(let goodbye):
                    state.withLock { $0.disconnects.append(goodbye.detail) }
                default:
                    break
                }
            }
            try? socket.set(.linger, 0)
            socket.close()
            context.shutdown()
            done.withLock { $0 = true }
        }
        thread.start()
    }

    /// Dispatches received so far.
    var dispatches: Int { state.withLock { $0.dispatches } }
    /// Refusal codes received so far.
    var refusals: [Switchyard_V1_ErrorCode] { state.withLock { $0.refusals } }
    /// Details of the router's `Disconnect`s received so far.
    var disconnects: [String] { state.withLock { $0.disconnects } }

    /// Closes the socket without `Disconnect` and waits (bounded) until it is closed.
    func kill() async {
        state.withLock { $0.killed = true }
        _ = await eventually(timeout: .seconds(5)) { done.withLock { $0 } }
    }
}
