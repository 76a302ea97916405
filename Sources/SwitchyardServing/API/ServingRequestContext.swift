import Hummingbird
import NIOCore

/// The request context of the serving API: Hummingbird's basic context plus the connection's
/// channel, through which a long request learns that its client disconnected.
public struct ServingRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The watcher in this connection's pipeline, when the server installed one.
    func closeWatcher() async -> ConnectionCloseWatcher? {
        try? await channel.pipeline.handler(type: ConnectionCloseWatcher.self).get()
    }
}
