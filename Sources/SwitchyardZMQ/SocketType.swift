import CZeroMQ

/// The ZeroMQ socket patterns (`zmq_socket`'s type argument).
public enum SocketType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Exclusive pair; mostly for `inproc://` between two threads.
    case pair
    /// Publisher: fans out to subscribers, drops when a subscriber is full.
    case publisher
    /// Subscriber: receives publishers' messages matching its subscriptions.
    case subscriber
    /// Strict request/reply client (send, receive, send, ...).
    case request
    /// Strict request/reply server.
    case reply
    /// Asynchronous client: load-balances sends, fair-queues receives. Workers connect with this.
    case dealer
    /// Asynchronous server: prefixes each received message with the peer's routing id and routes
    /// sends by the first frame. The router daemon binds this.
    case router
    /// Pipeline sink.
    case pull
    /// Pipeline source: load-balances to pullers.
    case push
    /// Publisher that also receives subscription messages.
    case extendedPublisher
    /// Subscriber that sends subscriptions as messages.
    case extendedSubscriber
    /// Raw TCP stream.
    case stream

    var rawValue: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .publisher: ZMQ_PUB
        case .subscriber: ZMQ_SUB
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        case .extendedPublisher: ZMQ_XPUB
        case .extendedSubscriber: ZMQ_XSUB
        case .stream: ZMQ_STREAM
        }
    }

    public var description: String {
        switch self {
        case .pair: "PAIR"
        case .publisher: "PUB"
        case .subscriber: "SUB"
        case .request: "REQ"
        case .reply: "REP"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .pull: "PULL"
        case .push: "PUSH"
        case .extendedPublisher: "XPUB"
        case .extendedSubscriber: "XSUB"
        case .stream: "STREAM"
        }
    }
}
