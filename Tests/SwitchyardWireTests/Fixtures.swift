import SwiftProtobuf
@testable import SwitchyardWire

/// Shared messages for the wire tests: a small model and one valid message of every kind.
enum Fixtures {
    static let limits = try! ModelLimits(layers: 4, expertsPerLayer: 8, hiddenSize: 16, maxRows: 64)
    static let decoder = WireDecoder(limits: limits)

    static func ref(_ layer: UInt32, _ expert: UInt32) -> Switchyard_V1_ExpertRef {
        var ref = Switchyard_V1_ExpertRef()
        ref.layer = layer
        ref.expert = expert
        return ref
    }

    static var fingerprint: Switchyard_V1_ModelFingerprint {
        var model = Switchyard_V1_ModelFingerprint()
        model.digest = "abc123"
        model.modelType = "qwen2_moe"
        model.layers = 4
        model.expertsPerLayer = 8
        model.hiddenSize = 16
        return model
    }

    static var register: Switchyard_V1_Register {
        var message = Switchyard_V1_Register()
        message.workerID = "worker-a"
        message.capacity.memoryBytes = 1 << 30
        message.capacity.threads = 2
        message.model = fingerprint
        message.held = [ref(0, 1), ref(3, 7)]
        message.pinnedExperts = [0, 1, 2, 3, 7]
        message.pinnedSpec = "0-3,7"
        message.softwareVersion = "0.1.0"
        return message
    }

    static var welcome: Switchyard_V1_Welcome {
        var message = Switchyard_V1_Welcome()
        message.routerID = "router-1"
        message.heartbeatIntervalMs = 1000
        message.liveness = 3
        message.maxMessageBytes = UInt64(WireLimits.maxMessageBytes(for: limits))
        return message
    }

    static var refusal: Switchyard_V1_Refusal {
        Switchyard_V1_Refusal(code: .modelMismatch, text: "digest abc vs def")
    }

    static var assignment: Switchyard_V1_Assignment {
        var message = Switchyard_V1_Assignment()
        message.placementVersion = 7
        message.load = [ref(0, 0), ref(1, 4)]
        message.drop = [ref(2, 5)]
        return message
    }

    static var ack: Switchyard_V1_AssignmentAck {
        var message = Switchyard_V1_AssignmentAck()
        message.placementVersion = 7
        message.loaded = [ref(0, 0), ref(1, 4)]
        message.failed = [ref(3, 3)]
        message.error = "out of memory"
        message.residentBytes = 123_456
        return message
    }

    static var heartbeat: Switchyard_V1_Heartbeat {
        var message = Switchyard_V1_Heartbeat()
        message.sequence = 42
        message.sentUnixNanos = 1_780_000_000_000_000_000
        message.placementVersion = 7
        message.queuedDispatches = 2
        return message
    }

    static var disconnect: Switchyard_V1_Disconnect {
        var message = Switchyard_V1_Disconnect()
        message.reason = .shutdown
        message.detail = "SIGTERM"
        return message
    }

    static var drain: Switchyard_V1_Drain {
        var message = Switchyard_V1_Drain()
        message.phase = .requested
        message.detail = "SIGTERM"
        return message
    }

    /// Three rows: expert 1 gets tokens 0 and 1, expert 5 gets token 0.
    static var dispatchHeader: Switchyard_V1_DispatchHeader {
        var header = Switchyard_V1_DispatchHeader()
        header.dispatchID = 99
        header.step = 12
        header.microBatch = 1
        header.layer = 2
        header.segments = [segment(1, 2), segment(5, 1)]
        header.dtype = .f32
        header.hiddenSize = 16
        header.totalRows = 3
        header.gateWeights = [0.5, 0.25, 0.5]
        header.tokenSlots = [0, 1, 0]
        header.tokenCount = 2
        return header
    }

    static func segment(_ expert: UInt32, _ rows: UInt32) -> Switchyard_V1_Segment {
        var segment = Switchyard_V1_Segment()
        segment.expert = expert
        segment.rows = rows
        return segment
    }

    static func floats(_ count: Int, seed: Float = 0) -> [Float] {
        (0..<count).map { Float($0) * 0.5 + seed }
    }

    static var dispatchRows: TensorBytes { TensorBytes(f32: floats(3 * 16)) }

    static var reply: Switchyard_V1_DispatchReply {
        .answering(dispatchHeader, computeMicros: 321)
    }

    static var replyRows: TensorBytes { TensorBytes(f32: floats(2 * 16, seed: 1)) }

    /// One valid message of every kind.
    static var allMessages: [WireMessage] {
        [
            .register(register), .welcome(welcome), .refusal(refusal), .assignment(assignment),
            .assignmentAck(ack), .heartbeat(heartbeat), .disconnect(disconnect), .drain(drain),
            .dispatch(dispatchHeader, rows: dispatchRows), .reply(reply, rows: replyRows),
            .reply(.failure(answering: dispatchHeader, error: "expert 5 not loaded"), rows: nil),
        ]
    }

    /// Frames of a valid dispatch with `edit` applied to the header (encoded without the
    /// sender-side checks, to craft bad messages).
    static func rawDispatch(
        rows: TensorBytes = dispatchRows,
        _ edit: (inout Switchyard_V1_DispatchHeader) -> Void = { _ in }
    ) -> [FrameBytes] {
        var header = dispatchHeader
        edit(&header)
        let bytes: [UInt8] = try! header.serializedBytes()
        return [.inline(ProtocolHeader(kind: .dispatch).bytes), .inline(bytes), .tensor(rows)]
    }

    static func rawReply(
        rows: TensorBytes? = replyRows,
        _ edit: (inout Switchyard_V1_DispatchReply) -> Void = { _ in }
    ) -> [FrameBytes] {
        var header = reply
        edit(&header)
        let bytes: [UInt8] = try! header.serializedBytes()
        var frames: [FrameBytes] = [.inline(ProtocolHeader(kind: .reply).bytes), .inline(bytes)]
        if let rows { frames.append(.tensor(rows)) }
        return frames
    }

    static func rawControl(_ kind: MessageKind, _ message: some SwiftProtobuf.Message) -> [FrameBytes] {
        let bytes: [UInt8] = try! message.serializedBytes()
        return [.inline(ProtocolHeader(kind: kind).bytes), .inline(bytes)]
    }

    /// The error `decode` throws, or nil when it succeeds.
    static func decodeError(_ frames: [FrameBytes], decoder: WireDecoder = decoder) -> WireError? {
        do {
            _ = try decoder.decode(frames)
            return nil
        } catch {
            return error
        }
    }
}

extension Fixtures {
    /// What a worker replies for `header` given each dispatch row's expert output: per token slot,
    /// the gate-weighted sum of its rows (a plain reference for the packer tests; workers use
    /// `GroupedExperts`).
    static func workerSum(_ header: Switchyard_V1_DispatchHeader, expertOutputs: [Float]) -> [Float] {
        let hidden = Int(header.hiddenSize)
        var sums = [Float](repeating: 0, count: Int(header.tokenCount) * hidden)
        for (row, (weight, slot)) in zip(header.gateWeights, header.tokenSlots).enumerated() {
            for i in 0..<hidden { sums[Int(slot) * hidden + i] += weight * expertOutputs[row * hidden + i] }
        }
        return sums
    }
}
