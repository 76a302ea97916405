import Foundation
import SwitchyardModel
import SwitchyardWire

extension Worker {
    /// Reactor thread: queues an assignment on the loader thread (loading takes seconds on real models).
    func schedule(_ assignment: Switchyard_V1_Assignment) {
        logger.info("assignment received", metadata: [
            "placement.version": .stringConvertible(assignment.placementVersion),
            "load": .stringConvertible(assignment.load.count), "drop": .stringConvertible(assignment.drop.count),
        ])
        loaderThread.submit { [self] in apply(assignment) }
    }

    /// Loader thread: loads what is new, has the compute thread swap it in, and acknowledges.
    private func apply(_ assignment: Switchyard_V1_Assignment) {
        let started = ContinuousClock.now
        let load = Set(assignment.load.map { ExpertKey(layer: Int($0.layer), expert: Int($0.expert)) })
        let drop = Set(assignment.drop.map { ExpertKey(layer: Int($0.layer), expert: Int($0.expert)) }).subtracting(load)
        // Assignments are applied one at a time on this thread, so `heldExperts` is current here.
        let held = Set(shared.withLock { $0.statistics.heldExperts })
        let outcome = loader.load(load.subtracting(held).sorted())
        let loadedFFNs = outcome.loaded
        let applied = computeThread.run { [store] () -> (held: [ExpertKey], bytes: Int) in
            store.apply(add: loadedFFNs, drop: Array(drop))
            return (store.heldKeys, store.residentBytes)
        }
        guard let applied else { return }  // stopping
        shared.withLock {
            $0.statistics.heldExperts = applied.held
            $0.statistics.residentBytes = applied.bytes
            $0.statistics.placementVersion = assignment.placementVersion
        }
        var ack = Switchyard_V1_AssignmentAck()
        ack.placementVersion = assignment.placementVersion
        ack.loaded = applied.held.map(Self.ref)
        let failed = outcome.failed.sorted { $0.key < $1.key }
        ack.failed = failed.map { Self.ref($0.key) }
        if !failed.isEmpty {
            let text = failed.prefix(4).map { "\($0.key): \($0.error)" }.joined(separator: "; ")
            ack.error = WireText.truncated(failed.count > 4 ? text + "; and \(failed.count - 4) more" : text)
            logger.error("assignment \(assignment.placementVersion): \(failed.count) experts failed to load: \(ack.error)")
        }
        ack.residentBytes = UInt64(applied.bytes)
        send(.assignmentAck(ack))
        logger.info("assignment applied", metadata: [
            "placement.version": .stringConvertible(assignment.placementVersion),
            "loaded": .stringConvertible(outcome.loaded.count), "dropped": .stringConvertible(drop.intersection(held).count),
            "held": .stringConvertible(applied.held.count), "resident_mib": .string(String(format: "%.1f", Double(applied.bytes) / 1_048_576)),
            "mapped_mib": .string(String(format: "%.1f", Double(outcome.mappedBytes) / 1_048_576)),
            "seconds": .string("\(ContinuousClock.now - started)"),
        ])
    }
}
