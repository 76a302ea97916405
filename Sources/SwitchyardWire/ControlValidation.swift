/// Checks of control messages against the model's ``ModelLimits``.
enum ControlValidation {
    /// ZeroMQ routing ids are 1...255 bytes and may not start with a zero byte.
    static let maxWorkerIDBytes = 255

    static func check(_ message: Switchyard_V1_Register, _ limits: ModelLimits) throws(WireError) {
        let id = message.workerID.utf8
        guard !id.isEmpty else { throw .invalidField("register without worker id") }
        guard id.count <= maxWorkerIDBytes else {
            throw .invalidField("worker id is \(id.count) bytes, at most \(maxWorkerIDBytes) allowed")
        }
        guard id.first != 0 else { throw .invalidField("worker id may not start with a zero byte") }
        guard message.hasModel else { throw .invalidField("register without model fingerprint") }
        guard message.capacity.threads >= 1 else { throw .invalidField("register with 0 compute threads") }
        try checkRefs(message.held, limits)
        for expert in message.pinnedExperts where Int(expert) >= limits.expertsPerLayer {
            throw .idOutOfRange(what: "pinned expert", value: Int(expert), bound: limits.expertsPerLayer)
        }
    }

    static func check(_ message: Switchyard_V1_Welcome) throws(WireError) {
        guard message.heartbeatIntervalMs >= 1 else { throw .invalidField("welcome with heartbeat interval 0 ms") }
        guard message.liveness >= 1 else { throw .invalidField("welcome with liveness 0") }
    }

    static func check(_ message: Switchyard_V1_Drain) throws(WireError) {
        switch message.phase {
        case .requested, .started, .released: return
        case .unspecified, .UNRECOGNIZED: throw .invalidField("drain without a known phase (\(message.phase))")
        }
    }

    static func check(_ message: Switchyard_V1_Assignment, _ limits: ModelLimits) throws(WireError) {
        try checkRefs(message.load, limits)
        try checkRefs(message.drop, limits)
    }

    static func check(_ message: Switchyard_V1_AssignmentAck, _ limits: ModelLimits) throws(WireError) {
        try checkRefs(message.loaded, limits)
        try checkRefs(message.failed, limits)
    }

    static func checkRefs(_ refs: [Switchyard_V1_ExpertRef], _ limits: ModelLimits) throws(WireError) {
        for ref in refs {
            guard Int(ref.layer) < limits.layers else {
                throw .idOutOfRange(what: "layer", value: Int(ref.layer), bound: limits.layers)
            }
            guard Int(ref.expert) < limits.expertsPerLayer else {
                throw .idOutOfRange(what: "expert", value: Int(ref.expert), bound: limits.expertsPerLayer)
            }
        }
    }
}
