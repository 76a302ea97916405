import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor another thread can make readable to wake a thread blocked in `zmq_poll`:
/// an `eventfd(2)` on Linux, a non-blocking pipe elsewhere. Signals coalesce: many `signal()` calls
/// before a `drain()` cause one wake-up.
final class Wakeup: Sendable {
    /// The descriptor to poll for POLLIN.
    let fd: Int32
    private let writeFD: Int32

    init() throws(ZMQError) {
        #if os(Linux)
        let fd = switchyard_eventfd_open()
        guard fd >= 0 else { throw ZMQError(code: errno, operation: "eventfd") }
        self.fd = fd
        self.writeFD = fd
        #else
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ZMQError(code: errno, operation: "pipe") }
        for descriptor in fds {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        self.fd = fds[0]
        self.writeFD = fds[1]
        #endif
    }

    /// Makes `fd` readable. Safe from any thread.
    func signal() {
        #if os(Linux)
        _ = switchyard_eventfd_signal(writeFD)
        #else
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
        #endif
    }

    /// Makes `fd` unreadable again; called by the woken thread before it looks for work.
    func drain() {
        #if os(Linux)
        _ = switchyard_eventfd_drain(fd)
        #else
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(fd, &buffer, buffer.count) > 0 {}
        #endif
    }

    deinit {
        close(fd)
        if writeFD != fd { close(writeFD) }
    }
}
