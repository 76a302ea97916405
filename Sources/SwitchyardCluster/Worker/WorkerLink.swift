/// The worker's side of the connection to the router as a pure state machine: when to (re)connect
/// and register, when to heartbeat, when a silent router counts as gone, and the back-off between
/// attempts. The shell (`Worker`) feeds it the clock and what arrived, and performs its actions.
///
/// Liveness follows the Paranoid Pirate pattern: any message from the router proves it alive; after
/// `liveness` heartbeat intervals of silence the worker drops the socket, waits the back-off
/// (doubling from `minDelay` up to `maxDelay`, reset by a `Welcome`) and connects and registers anew.
struct WorkerLink: Sendable {
    enum State: Sendable, Equatable {
        /// No socket; connect at the instant.
        case waiting(until: ContinuousClock.Instant)
        /// Connected, `Register` sent, no `Welcome` yet.
        case registering
        /// Welcomed: serving.
        case registered
        /// Stopped for good.
        case stopped
    }

    enum Action: Sendable, Equatable {
        /// Open a new socket to the router (closing any old one) and send `Register`.
        case connectAndRegister
        /// Send `Register` again on the current socket (the router forgot us).
        case register
        /// Send a heartbeat.
        case heartbeat
        /// Close the socket: the router is gone; a reconnect follows after `delay`.
        case disconnect(delay: Duration, reason: String)
    }

    private(set) var state: State
    private(set) var heartbeatInterval: Duration
    private(set) var liveness: Int
    private let minDelay: Duration
    private let maxDelay: Duration
    private var delay: Duration
    private var lastHeard: ContinuousClock.Instant
    private var lastHeartbeat: ContinuousClock.Instant
    /// Connection attempts made (first connect included).
    private(set) var attempts = 0

    init(heartbeatInterval: Duration, liveness: Int, minDelay: Duration, maxDelay: Duration, now: ContinuousClock.Instant) {
        self.heartbeatInterval = heartbeatInterval
        self.liveness = max(1, liveness)
        self.minDelay = minDelay
        self.maxDelay = max(minDelay, maxDelay)
        self.delay = minDelay
        self.state = .waiting(until: now)
        self.lastHeard = now
        self.lastHeartbeat = now
    }

    /// How long the router may stay silent.
    var silenceLimit: Duration { heartbeatInterval * liveness }

    /// Call often (every few milliseconds to a fraction of the heartbeat interval).
    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .stopped:
            return []
        case .waiting(let until):
            guard now >= until else { return [] }
            state = .registering
            attempts += 1
            lastHeard = now
            lastHeartbeat = now
            return [.connectAndRegister]
        case .registering, .registered:
            if now - lastHeard > silenceLimit {
                let wait = delay
                delay = min(delay * 2, maxDelay)
                let what = state == .registering ? "no answer to register" : "router silent"
                state = .waiting(until: now + wait)
                return [.disconnect(delay: wait, reason: "\(what) for \(silenceLimit)")]
            }
            guard state == .registered, now - lastHeartbeat >= heartbeatInterval else { return [] }
            lastHeartbeat = now
            return [.heartbeat]
        }
    }

    /// Any valid message from the router.
    mutating func heard(now: ContinuousClock.Instant) {
        lastHeard = now
    }

    /// The router accepted the registration with its heartbeat settings.
    mutating func welcomed(heartbeatInterval: Duration, liveness: Int, now: ContinuousClock.Instant) {
        guard state != .stopped else { return }
        self.heartbeatInterval = max(heartbeatInterval, .milliseconds(1))
        self.liveness = max(1, liveness)
        state = .registered
        delay = minDelay
        lastHeard = now
    }

    /// The router does not know us (it restarted): register again right away.
    mutating func unknownPeer(now: ContinuousClock.Instant) -> [Action] {
        guard state == .registered || state == .registering else { return [] }
        state = .registering
        lastHeard = now
        return [.register]
    }

    /// The router said it is leaving: drop the socket and reconnect after the back-off.
    mutating func routerLeft(now: ContinuousClock.Instant) -> [Action] {
        guard state == .registered || state == .registering else { return [] }
        let wait = delay
        delay = min(delay * 2, maxDelay)
        state = .waiting(until: now + wait)
        return [.disconnect(delay: wait, reason: "router disconnected")]
    }

    mutating func stop() {
        state = .stopped
    }
}
