import SwitchyardWire
import SwitchyardZMQ

/// Converts between the wire protocol's frames (`FrameBytes`) and ZeroMQ frames, without copying
/// tensor rows in either direction.
public enum WireFrames {
    /// Frames larger than this arrive as `.tensor` (by reference) rather than copied inline.
    public static let inlineLimit = 512

    /// A ZeroMQ frame for one wire frame: inline bytes copied (they are small), tensors zero-copy
    /// with their owner retained until libzmq is done.
    public static func zmqFrame(_ frame: FrameBytes) -> Frame {
        switch frame {
        case .inline(let bytes):
            return Frame(bytes)
        case .tensor(let tensor):
            guard tensor.count > 0, let base = tensor.baseAddress, let owner = tensor.owner else { return Frame() }
            return Frame(noCopy: UnsafeRawBufferPointer(start: base, count: tensor.count), owner: owner)
        }
    }

    /// The ZeroMQ message for a wire message, with `routingID` first when sent on a ROUTER socket.
    public static func message(_ message: WireMessage, routingID: [UInt8]? = nil) throws(WireError) -> Message {
        Self.message(frames: try message.encode(), routingID: routingID)
    }

    /// The ZeroMQ message for encoded wire frames, with `routingID` first when sent on a ROUTER socket.
    public static func message(frames: [FrameBytes], routingID: [UInt8]? = nil) -> Message {
        var frames = frames.map(zmqFrame)
        if let routingID { frames.insert(Frame(routingID), at: 0) }
        return Message(frames)
    }

    /// The wire frames of a received ZeroMQ message, skipping the first `skip` frames (a ROUTER's
    /// routing id). Large frames are referenced, not copied: the ZeroMQ frame owns the bytes.
    public static func wireFrames(_ message: Message, skip: Int = 0) -> [FrameBytes] {
        message.frames.dropFirst(skip).map { frame in
            if frame.count <= inlineLimit { return .inline(frame.bytes) }
            // The frame keeps its bytes alive and unchanged for as long as it lives, which is the
            // contract `TensorBytes` asks of its owner; the pointer never outlives `frame`.
            return frame.withUnsafeBytes { bytes in
                .tensor(TensorBytes(owner: frame, baseAddress: bytes.baseAddress!, count: bytes.count))
            }
        }
    }
}
