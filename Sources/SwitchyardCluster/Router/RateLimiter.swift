/// Token buckets for registrations: one per peer and one for everybody, so neither a looping
/// worker nor a flood of fresh ids can make the router replan and log without bound. Pure: the
/// caller passes the time.
package struct RegistrationLimiter: Sendable {
    /// A bucket refilled at `rate` tokens per second up to `burst`.
    package struct Bucket: Sendable, Equatable {
        package var tokens: Double
        package var updated: ContinuousClock.Instant

        mutating func take(now: ContinuousClock.Instant, rate: Double, burst: Double) -> Bool {
            refill(now: now, rate: rate, burst: burst)
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }

        mutating func refill(now: ContinuousClock.Instant, rate: Double, burst: Double) {
            let elapsed = max(0, (now - updated).seconds)
            tokens = min(burst, tokens + elapsed * rate)
            updated = now
        }
    }

    package let peerBurst: Double
    package let peerRate: Double
    package let totalBurst: Double
    package let totalRate: Double
    /// Peers tracked at most; full buckets are forgotten first.
    package let maxPeers: Int
    private var peers: [[UInt8]: Bucket] = [:]
    private var total: Bucket?

    package init(peerBurst: Int = 3, peerRate: Double = 1, totalBurst: Int = 32, totalRate: Double = 8, maxPeers: Int = 4096) {
        self.peerBurst = Double(max(1, peerBurst))
        self.peerRate = peerRate
        self.totalBurst = Double(max(1, totalBurst))
        self.totalRate = totalRate
        self.maxPeers = max(1, maxPeers)
    }

    /// Whether a registration from `peer` may go ahead now.
    package mutating func admit(_ peer: [UInt8], now: ContinuousClock.Instant) -> Bool {
        var all = total ?? Bucket(tokens: totalBurst, updated: now)
        var mine = peers[peer] ?? Bucket(tokens: peerBurst, updated: now)
        mine.refill(now: now, rate: peerRate, burst: peerBurst)
        all.refill(now: now, rate: totalRate, burst: totalBurst)
        let admitted = mine.tokens >= 1 && all.tokens >= 1
        if admitted {
            mine.tokens -= 1
            all.tokens -= 1
        }
        total = all
        if peers[peer] == nil, peers.count >= maxPeers { forgetIdlePeers(now: now) }
        if peers[peer] != nil || peers.count < maxPeers { peers[peer] = mine }
        return admitted
    }

    private mutating func forgetIdlePeers(now: ContinuousClock.Instant) {
        for (peer, var bucket) in peers {
            bucket.refill(now: now, rate: peerRate, burst: peerBurst)
            if bucket.tokens >= peerBurst { peers[peer] = nil }
        }
    }

    /// Peers with a bucket (for tests).
    package var trackedPeers: Int { peers.count }
}

/// Rate limit for repeated log lines: at most `perWindow` lines of one kind per `window`; the
/// rest are counted, and the next line logged after a quiet window says how many were left out.
package struct LogRateLimiter: Sendable {
    /// What to do with one line.
    package enum Decision: Sendable, Equatable {
        /// Log it; `suppressed` lines of its kind were left out before it.
        case log(suppressed: Int)
        /// Leave it out (counted).
        case suppress
    }

    private struct Window: Sendable {
        var start: ContinuousClock.Instant
        var logged: Int
        var suppressed: Int
    }

    package let perWindow: Int
    package let window: Duration
    /// Lines left out since the start.
    package private(set) var suppressedTotal: UInt64 = 0
    private var windows: [String: Window] = [:]

    package init(perWindow: Int = 5, window: Duration = .seconds(10)) {
        self.perWindow = max(1, perWindow)
        self.window = window
    }

    /// Decides about one line of kind `key` (its message, not its details).
    package mutating func admit(_ key: String, now: ContinuousClock.Instant) -> Decision {
        var entry = windows[key] ?? Window(start: now, logged: 0, suppressed: 0)
        var carried = 0
        if now - entry.start >= window {
            carried = entry.suppressed
            entry = Window(start: now, logged: 0, suppressed: 0)
        }
        defer { windows[key] = entry }
        guard entry.logged < perWindow else {
            entry.suppressed += 1
            suppressedTotal += 1
            return .suppress
        }
        entry.logged += 1
        return .log(suppressed: carried)
    }
}
