import NIOCore
import NIOHTTP1

/// A response part with the moment the event loop read it from the socket.
struct TimedResponsePart: Sendable {
    var part: HTTPClientResponsePart
    var receivedAt: ContinuousClock.Instant
}

/// Stamps each response part on the event loop as it is decoded, so token times do not include
/// the delay before the consuming task gets to run (which grows on a busy machine and would
/// squash inter-token gaps together).
final class ArrivalTimestampHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = TimedResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(TimedResponsePart(part: unwrapInboundIn(data), receivedAt: .now)))
    }
}
