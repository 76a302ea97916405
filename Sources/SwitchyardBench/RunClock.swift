import SwitchyardTensor

/// Seconds since the start of a run, on the monotonic clock.
public struct RunClock: Sendable {
    private let origin: ContinuousClock.Instant

    /// A clock whose zero is now.
    public init() { origin = ContinuousClock.now }

    /// Seconds elapsed since the clock's zero.
    public func now() -> Double { origin.duration(to: .now).seconds }

    /// The clock reading of an instant taken elsewhere (e.g. on an event loop).
    public func seconds(at instant: ContinuousClock.Instant) -> Double { origin.duration(to: instant).seconds }

    /// The instant `seconds` after the clock's zero (to sleep until).
    public func instant(at seconds: Double) -> ContinuousClock.Instant {
        origin.advanced(by: .nanoseconds(Int64(seconds * 1e9)))
    }
}
