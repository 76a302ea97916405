/// Carries a `Socket` from the thread that made it to the reactor thread.
///
/// `@unchecked Sendable` is sound because it is only built from a `sending` parameter of
/// `Reactor.add`, so no other reference to the socket exists, and the inbox mutex orders the hand-over.
struct SocketTransfer: @unchecked Sendable {
    let socket: Socket
}
