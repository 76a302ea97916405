import NIOCore
import Synchronization

/// Tells a request in progress that its client went away, so a non-streamed completion stops
/// generating (and frees its KV cache) instead of running to the end for nobody.
///
/// A streamed response finds out on its next write; a non-streamed one writes nothing until it is
/// done. This handler sits in each connection's pipeline and sees the client's end of the
/// connection: its FIN (`ChannelEvent.inputClosed`, since Hummingbird allows half-closure) or the
/// channel going inactive. HTTP/1 handles one request at a time per connection, so one slot holds
/// the action of the request in progress.
final class ConnectionCloseWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    private struct State {
        var closed = false
        var onClose: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Runs `action` once when the client closes its end; at once when it already has.
    /// Replaces the action of an earlier request on this connection.
    func onClientClose(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.closed { return true }
            state.onClose = action
            return false
        }
        if runNow { action() }
    }

    /// Forgets the action (the request finished).
    func clear() {
        state.withLock { $0.onClose = nil }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { clientClosed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientClosed()
        context.fireChannelInactive()
    }

    private func clientClosed() {
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            state.closed = true
            defer { state.onClose = nil }
            return state.onClose
        }
        action?()
    }
}
