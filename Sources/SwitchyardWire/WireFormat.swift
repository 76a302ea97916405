/// The frame layout of every Switchyard message between router and workers.
///
/// A message is a ZeroMQ multipart message. On the router's ROUTER socket the routing-id frame
/// comes first; the socket layer strips it before decoding and adds it back when sending, so the
/// frames described here are the same on both sides:
///
/// ```
/// frame 0   protocol header, exactly 8 bytes
///           bytes 0..<4  magic "SWYD" (0x53 0x57 0x59 0x44)
///           bytes 4..<6  protocol version, u16 little-endian (``WireFormat/version``)
///           bytes 6..<8  message kind, u16 little-endian (``MessageKind``)
/// frame 1   protobuf header: the message of `protos/switchyard/v1/*.proto` named by the kind
/// frame 2   (dispatch and OK reply only) the rows: raw little-endian elements, row-major,
///           rows x hidden size x dtype size bytes, no padding
/// ```
///
/// Control messages (register, welcome, refusal, assignment, ack, heartbeat, disconnect) have
/// exactly two frames. A dispatch has exactly three. A reply has three with status OK and two
/// with status ERROR. Tensors never travel inside protobuf: the rows frame is sent and received
/// zero-copy as ``TensorBytes``.
///
/// A peer speaking another version is refused with ``WireError/wrongVersion(peer:ours:)``, which
/// names both versions. The version changes whenever the meaning of a field or frame changes;
/// adding optional protobuf fields does not need a new version.
public enum WireFormat {
    /// "SWYD" in ASCII.
    public static let magic: [UInt8] = [0x53, 0x57, 0x59, 0x44]
    /// The protocol version this build speaks.
    public static let version: UInt16 = 1
    /// Size of frame 0 in bytes.
    public static let protocolHeaderSize = 8
    /// Index of the protobuf header frame.
    public static let protobufFrameIndex = 1
    /// Index of the rows frame of a dispatch or reply.
    public static let rowsFrameIndex = 2
}
