/// Where a worker's graceful drain stands (reactor thread only).
///
/// `serving` → `draining` (SIGTERM: the worker asked; or the router started it after an admin
/// call) → `released` (the router says nothing routes here any more) → the worker finishes its
/// queued dispatches and leaves. A drain that is not released by its deadline leaves anyway.
enum WorkerDrainState: Sendable, Equatable {
    case serving
    /// Waiting for the router to move the experts away; leave at `deadline` regardless.
    case draining(deadline: ContinuousClock.Instant)
    /// Released: finishing queued work, then leaving.
    case released
}
