import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: the I/O threads and the `inproc://` namespace shared by its sockets.
///
/// A context is thread safe and may be shared freely. Every `Socket` keeps its context alive, so the
/// context is terminated (`zmq_ctx_term`) only after its last socket has been closed: terminating can
/// therefore never hang waiting for a socket somebody forgot. Sockets created here get
/// `defaultLinger` (0 ms unless set otherwise) so closing them never waits for unsent messages either.
///
/// `shutdown()` may be called at any time from any thread: blocking calls on this context's sockets
/// then fail with `ZMQError.terminated`, which is how a thread stuck in a receive is released.
public final class Context: @unchecked Sendable {
    // @unchecked: libzmq documents contexts as thread safe, and `handle` never changes.
    /// The raw `void*` context handle, immutable for the object's lifetime.
    let handle: UnsafeMutableRawPointer
    /// LINGER (milliseconds) applied to each new socket; -1 would mean "wait forever" on close.
    public let defaultLinger: Int32
    private let isShutDown = Atomic<Bool>(false)

    /// Creates a context with `ioThreads` background I/O threads.
    /// - Parameters:
    ///   - ioThreads: libzmq I/O threads; one handles roughly a gigabyte per second.
    ///   - defaultLinger: LINGER in milliseconds given to every socket created from this context.
    public init(ioThreads: Int32 = 1, defaultLinger: Int32 = 0) throws(ZMQError) {
        guard ioThreads >= 0 else { throw ZMQError(code: ZMQError.invalidArgument.code, operation: "Context(ioThreads: \(ioThreads))") }
        guard let ctx = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        if zmq_ctx_set(ctx, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS, \(ioThreads))")
            zmq_ctx_term(ctx)
            throw error
        }
        // Belt and braces: sockets made outside `Socket` (none today) would also linger 0.
        zmq_ctx_set(ctx, ZMQ_BLOCKY, 0)
        self.handle = ctx
        self.defaultLinger = defaultLinger
    }

    /// Makes every blocking operation on this context's sockets return `ZMQError.terminated` and
    /// refuses new sockets. Idempotent and non-blocking; the context itself is freed when the last
    /// socket (and this object) is gone.
    public func shutdown() {
        if isShutDown.exchange(true, ordering: .acquiringAndReleasing) == false {
            zmq_ctx_shutdown(handle)
        }
    }

    /// Whether `shutdown()` has been called.
    public var isShuttingDown: Bool { isShutDown.load(ordering: .acquiring) }

    deinit {
        // All sockets hold a strong reference to the context, so none is open here and
        // zmq_ctx_term returns at once. Retry on EINTR as the libzmq manual asks.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
