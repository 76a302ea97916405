import SwitchyardModel
import SwitchyardWire

/// A snapshot of what a worker did, for logs and tests (`Worker.statistics`).
public struct WorkerStatistics: Sendable {
    /// Incoming messages dropped, by reason.
    public var drops = DropCounter()
    /// Dispatches answered with rows.
    public var dispatchesServed = 0
    /// Of those, dispatches computed on the I/O thread (`WorkerConfiguration.inlineComputeFLOPs`).
    public var dispatchesInline = 0
    /// Of those, dispatches that came through the shared-memory lane (and were answered through it).
    public var dispatchesViaLane = 0
    /// Whether the router mapped this worker's shared-memory lane (its last `Welcome` said so).
    public var laneAccepted = false
    /// Where the last lane this worker made was (its files are removed once the router has
    /// mapped it or declined it, and when the connection ends).
    public var lanePath: String?
    /// Dispatches answered with an error.
    public var dispatchesFailed = 0
    /// `Register` messages sent (first registration and every re-registration).
    public var registrationsSent = 0
    /// `Welcome`s received.
    public var welcomes = 0
    /// Connection attempts (sockets opened).
    public var connects = 0
    /// Experts held after the last applied assignment.
    public var heldExperts: [ExpertKey] = []
    /// Bytes of expert weights held.
    public var residentBytes = 0
    /// Placement version of the last applied assignment.
    public var placementVersion: UInt64 = 0

    public init() {}
}
