import NIOCore
import Synchronization

/// Remembers which time limit, if any, ended an exchange; set from the event loop, read by the task.
final class TimeoutGuard: Sendable {
    private let fired = Mutex<HTTPClientError?>(nil)

    /// Records the first limit that fired; later ones are ignored.
    func fire(_ error: HTTPClientError) {
        fired.withLock { if $0 == nil { $0 = error } }
    }

    var error: HTTPClientError? { fired.withLock { $0 } }
}

/// Closes the channel when `IdleStateHandler` reports no read for the read timeout.
final class ReadTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    private let guardian: TimeoutGuard
    private let seconds: Double

    init(guardian: TimeoutGuard, seconds: Double) {
        self.guardian = guardian
        self.seconds = seconds
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            guardian.fire(.readTimeout(seconds: seconds))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
