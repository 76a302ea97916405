#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import CZeroMQ

/// A dedicated POSIX thread, outside Swift's cooperative pool, for code that blocks (zmq_poll).
package final class OSThread: Sendable {
    private let thread: pthread_t
    private let joined = Atomic<Bool>(false)

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new thread named `name` (Linux keeps the first 15 bytes).
    package init(name: String, _ body: @escaping @Sendable () -> Void) throws(ZMQError) {
        let box = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        #if os(Linux)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let rc = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            #if os(Linux)
            switchyard_set_thread_name(body.name)
            #else
            _ = pthread_setname_np(body.name)
            #endif
            body.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw ZMQError(code: rc, operation: "pthread_create")
        }
        #if os(Linux)
        self.thread = thread
        #else
        self.thread = thread!
        #endif
    }

    /// Whether the caller is running on this thread.
    package var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Waits for the thread to finish. Only the first call waits; calling it on the thread itself returns at once.
    package func join() {
        guard !isCurrent, !joined.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pthread_join(thread, nil)
    }

    deinit {
        if !joined.load(ordering: .acquiring) { pthread_detach(thread) }
    }
}
