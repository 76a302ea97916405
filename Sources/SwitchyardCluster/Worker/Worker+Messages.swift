import Foundation
import SwitchyardWire
import SwitchyardZMQ

extension Worker {
    /// Reactor thread: every event of the reactor.
    func handle(_ event: ReactorEvent) {
        let current = shared.withLock { $0.socket }
        switch event {
        case .message(let socket, let message):
            guard socket == current else { return }  // a late message on a socket already replaced
            let decoded: WireMessage
            do {
                decoded = try decoder.decode(WireFrames.wireFrames(message))
            } catch {
                drop(error.reason, error.description)
                return
            }
            link.heard(now: .now)
            received(decoded)
        case .sendFailed(_, let message, let failure):
            logger.debug("send failed: \(failure) (\(message.count) frames)")
        case .receiveFailed(let socket, let error):
            guard socket == current else { return }
            logger.error("receive failed: \(error)")
            perform(link.routerLeft(now: .now))
        }
    }

    /// Counts and logs a dropped message.
    func drop(_ reason: DropReason, _ detail: String) {
        let total = shared.withLock { shared -> UInt64 in
            shared.statistics.drops.record(reason)
            return shared.statistics.drops[reason]
        }
        // The first drops of a reason are logged in full, then every 1000th, so a flood cannot fill the disk.
        if total <= 10 || total % 1000 == 0 {
            logger.warning("dropped message: \(detail)", metadata: ["reason": .string(reason.label), "count": .stringConvertible(total)])
        }
    }

    private func received(_ message: WireMessage) {
        switch message {
        case .welcome(let welcome):
            link.welcomed(heartbeatInterval: .milliseconds(Int(welcome.heartbeatIntervalMs)), liveness: Int(welcome.liveness), now: .now)
            shared.withLock { $0.statistics.welcomes += 1 }
            welcomed(laneAccepted: welcome.localLane)
            // A smaller router limit is harmless (its dispatches fit ours); a larger one means dispatches
            // this worker would drop as oversize.
            if welcome.maxMessageBytes > UInt64(decoder.maxMessageBytes) {
                logger.error("the router may send messages of up to \(welcome.maxMessageBytes) bytes, this worker accepts \(decoder.maxMessageBytes): raise --max-batch-tokens")
            }
            logger.info("registered", metadata: [
                "router.id": .string(welcome.routerID), "heartbeat_ms": .stringConvertible(welcome.heartbeatIntervalMs),
                "liveness": .stringConvertible(welcome.liveness),
            ])
            // Registered again mid-drain (the router restarted or lost us): ask again.
            if isDraining { sendDrainRequest() }
        case .refusal(let refusal):
            refused(refusal)
        case .assignment(let assignment):
            schedule(assignment)
        case .dispatch(let header, let rows):
            dispatch(header, rows: rows)
        case .heartbeat:
            break
        case .disconnect(let disconnect):
            logger.warning("router disconnected (\(disconnect.reason)): \(disconnect.detail)")
            if isDraining {
                leave(detail: "leaving: the router left while this worker was draining")
                return
            }
            perform(link.routerLeft(now: .now))
        case .drain(let drain):
            received(drain)
        case .register, .assignmentAck, .reply:
            drop(.unexpectedKind, "a worker does not accept \(message.kind) messages")
        }
    }

    private func refused(_ refusal: Switchyard_V1_Refusal) {
        switch refusal.code {
        case .unknownPeer:
            guard link.state != .stopped else { return }
            logger.warning("router does not know this worker (\(refusal.text)): registering again")
            perform(link.unknownPeer(now: .now))
        case .malformed, .internal, .unspecified, .UNRECOGNIZED:
            logger.error("router rejected a message (\(refusal.code)): \(refusal.text)")
        case .versionMismatch, .modelMismatch, .duplicateWorkerID, .badPin, .capacity:
            logger.critical("router refused this worker (\(refusal.code)): \(refusal.text)")
            link.stop()
            closeSocket()
            exit.finish(.failure(.refused(code: refusal.code, text: refusal.text)))
        }
    }
}
