/// A multipart ZeroMQ message: the frames libzmq delivers atomically (all or none).
///
/// On a ROUTER the first frame is the peer's routing id: received messages start with it and
/// messages to send must start with it (`Message(routingID:_:)`).
public struct Message: Sendable, RandomAccessCollection, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The parts, in order.
    public var frames: [Frame]

    /// A message of `frames`.
    public init(_ frames: [Frame]) { self.frames = frames }

    /// A message with one frame per string.
    public init(strings: [String]) { self.frames = strings.map { Frame($0) } }

    /// A message addressed through a ROUTER: `routingID` first, then `frames`.
    public init(routingID: Frame, _ frames: [Frame]) { self.frames = [routingID] + frames }

    public init(arrayLiteral elements: Frame...) { self.frames = elements }

    public var startIndex: Int { frames.startIndex }
    public var endIndex: Int { frames.endIndex }
    public subscript(position: Int) -> Frame { frames[position] }

    /// Total payload bytes over all frames.
    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }

    /// Each frame as UTF-8 text (nil for frames that are not valid UTF-8); handy in tests and logs.
    public var strings: [String?] { frames.map(\.string) }

    public var description: String { "Message(\(frames.map(\.description).joined(separator: ", ")))" }
}
