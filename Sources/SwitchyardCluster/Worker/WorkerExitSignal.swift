import Synchronization

/// Completes once with the worker's outcome and wakes everyone awaiting it.
final class WorkerExitSignal: Sendable {
    private struct State {
        var result: Result<Void, WorkerError>?
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }
    private let state = Mutex(State())

    /// Records `result` (the first one wins) and resumes the waiters.
    func finish(_ result: Result<Void, WorkerError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 as any Error }) }
    }

    var isFinished: Bool { state.withLock { $0.result != nil } }

    /// Waits for `finish`; throws the worker's error.
    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { state -> Result<Void, WorkerError>? in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(with: done.mapError { $0 as any Error }) }
        }
    }
}
