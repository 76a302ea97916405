/// Carries a `Socket` from the thread that made it to the reactor thread.
///
/// `@unchecked Sendable` is sound because it is only built from a `sending` parameter of
/// `Reactor.add`, so no other reference to the socket exists, and the inbox mutex orders the hand-over.
package struct SocketTransfer: @unchecked Sendable {
    package let socket: Socket

    package init(socket: Socket) { self.socket = socket }
}
