// Misbehaving cluster peers for scripts/chaos-test.sh (a test helper, not part of the product):
//
//   switchyard-chaos-peer silent --router EP --model DIR --id ID --seconds S
//       A gray-failing worker: registers with the model's real fingerprint, acknowledges every
//       assignment as loaded and heartbeats, but never answers a dispatch. Leaves after S seconds
//       and prints how many dispatches it swallowed and how often the router told it to leave.
//   switchyard-chaos-peer flood --router EP --model DIR --count N --prefix P [--duplicate ID]
//       A registration flood: N registrations with fresh ids (P-1 ... P-N), each from its own
//       connection, as fast as they go; prints how many were sent. With --duplicate, first a
//       registration of ID (a live worker's) from another process, and what the router answered.
import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardWire
import SwitchyardZMQ

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("switchyard-chaos-peer: \(message)\n".utf8))
    exit(64)
}

/// `--name value` pairs after the command.
func options(_ arguments: ArraySlice<String>) -> [String: String] {
    var result: [String: String] = [:]
    var rest = arguments
    while let name = rest.popFirst() {
        guard name.hasPrefix("--"), let value = rest.popFirst() else { fail("expected --name value, got \(name)") }
        result[String(name.dropFirst(2))] = value
    }
    return result
}

let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else { fail("usage: switchyard-chaos-peer silent|flood --router EP --model DIR ...") }
let flags = options(arguments.dropFirst())
guard let endpoint = flags["router"], let modelPath = flags["model"] else { fail("--router and --model are required") }
let directory = URL(fileURLWithPath: modelPath)
let fingerprint: Switchyard_V1_ModelFingerprint
let decoder: WireDecoder
do {
    let config = try ModelConfig.load(directory: directory)
    fingerprint = try ModelIdentity.fingerprint(config: config, directory: directory)
    decoder = WireDecoder(limits: try ModelIdentity.limits(config: config))
} catch {
    fail("cannot load model \(modelPath): \(error)")
}

func registration(_ id: String, held: [Switchyard_V1_ExpertRef] = []) -> Message {
    var register = Switchyard_V1_Register()
    register.workerID = id
    register.capacity.threads = 1
    register.model = fingerprint
    register.held = held
    return try! WireFrames.message(.register(register))
}

func connect(_ context: Context, id: String) throws -> Socket {
    let socket = try Socket(context, type: .dealer)
    try SocketSetup.configureWorker(socket, routingID: id, maxMessageBytes: decoder.maxMessageBytes,
                                    instance: String(UInt32.random(in: .min ... .max), radix: 16))
    try socket.set(.receiveTimeout, 50)
    try socket.connect(endpoint)
    return socket
}

do {
    let context = try Context()
    switch command {
    case "silent":
        guard let id = flags["id"], let seconds = flags["seconds"].flatMap(Double.init) else { fail("silent needs --id and --seconds") }
        var socket = try connect(context, id: id)
        try socket.send(registration(id))
        var held: Set<[UInt32]> = []
        var dispatches = 0
        var evictions = 0
        var lastBeat = ContinuousClock.now
        var sequence: UInt64 = 0
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if ContinuousClock.now - lastBeat >= .milliseconds(250) {
                lastBeat = .now
                sequence += 1
                var beat = Switchyard_V1_Heartbeat()
                beat.sequence = sequence
                try socket.send(try WireFrames.message(.heartbeat(beat)), flags: .dontWait)
            }
            guard let message = try? socket.receive(), let decoded = try? decoder.decode(WireFrames.wireFrames(message)) else { continue }
            switch decoded {
            case .assignment(let assignment):
                for ref in assignment.load { held.insert([ref.layer, ref.expert]) }
                for ref in assignment.drop { held.remove([ref.layer, ref.expert]) }
                var ack = Switchyard_V1_AssignmentAck()
                ack.placementVersion = assignment.placementVersion
                ack.loaded = held.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
                    var ref = Switchyard_V1_ExpertRef()
                    ref.layer = key[0]
                    ref.expert = key[1]
                    return ref
                }
                try socket.send(try WireFrames.message(.assignmentAck(ack)), flags: .dontWait)
            case .dispatch:
                dispatches += 1
            case .disconnect:
                // Evicted: come back as a fresh process would, after a short back-off.
                evictions += 1
                held = []
                try socket.set(.linger, 0)
                socket.close()
                Thread.sleep(forTimeInterval: 0.5)
                socket = try connect(context, id: id)
                try socket.send(registration(id))
            default:
                break
            }
        }
        var goodbye = Switchyard_V1_Disconnect()
        goodbye.detail = "chaos peer done"
        try? socket.send(try WireFrames.message(.disconnect(goodbye)), flags: .dontWait)
        socket.close()
        print("silent \(id): swallowed \(dispatches) dispatches, told to leave \(evictions) times")
    case "flood":
        guard let count = flags["count"].flatMap(Int.init), let prefix = flags["prefix"] else { fail("flood needs --count and --prefix") }
        var sockets: [Socket] = []
        if let duplicate = flags["duplicate"] {
            let socket = try connect(context, id: duplicate)
            try socket.send(registration(duplicate))
            let deadline = ContinuousClock.now + .seconds(5)
            var answer = "no answer"
            while ContinuousClock.now < deadline {
                guard let message = try? socket.receive(), let decoded = try? decoder.decode(WireFrames.wireFrames(message)) else { continue }
                if case .refusal(let refusal) = decoded { answer = "refused: \(refusal.code) (\(refusal.text))" } else { answer = "\(decoded.kind)" }
                break
            }
            print("duplicate \(duplicate): \(answer)")
            sockets.append(socket)
        }
        for index in 1 ... max(1, count) {
            let id = "\(prefix)-\(index)"
            let socket = try connect(context, id: id)
            try socket.send(registration(id), flags: .dontWait)
            sockets.append(socket)
        }
        Thread.sleep(forTimeInterval: 1)
        for socket in sockets {
            try? socket.set(.linger, 0)
            socket.close()
        }
        print("flood: sent \(count) registrations")
    default:
        fail("unknown command \(command): silent or flood")
    }
    context.shutdown()
} catch {
    fail("\(error)")
}
