import CZeroMQ
import Synchronization

/// One part of a ZeroMQ message: a `zmq_msg_t` that either holds a copy of some bytes, wraps a
/// caller's buffer without copying (`init(noCopy:owner:)`), or came off the wire.
///
/// A frame is immutable once made, so it may be shared between threads and sent any number of times:
/// each send hands libzmq a reference-counted copy (`zmq_msg_copy`; no byte copy for frames over
/// 33 bytes). Its bytes are reachable only inside `withUnsafeBytes`, so no pointer can outlive the
/// frame that keeps them alive.
public final class Frame: @unchecked Sendable {
    // Safety of @unchecked Sendable: `message` is written only in init and deinit; `base`/`count`
    // are immutable; the one libzmq call that touches shared state (zmq_msg_copy flags the source
    // "shared") is serialized by `copyLock`.
    private let message: UnsafeMutablePointer<zmq_msg_t>
    private let base: UnsafeRawPointer?
    /// The frame's size in bytes.
    public let count: Int
    private let copyLock = Mutex<Void>(())

    /// Takes over an initialised `zmq_msg_t` (received, or built by an initialiser below).
    init(adopting message: UnsafeMutablePointer<zmq_msg_t>) {
        self.message = message
        self.count = zmq_msg_size(message)
        self.base = count == 0 ? nil : UnsafeRawPointer(zmq_msg_data(message))
    }

    /// An empty frame (a ROUTER envelope delimiter, say).
    public convenience init() {
        let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        zmq_msg_init(msg)
        self.init(adopting: msg)
    }

    /// A frame holding a copy of `buffer`.
    public convenience init(copying buffer: UnsafeRawBufferPointer) {
        self.init(adopting: Frame.makeMessage(copying: buffer))
    }

    /// A frame holding a copy of `bytes`.
    public convenience init(_ bytes: [UInt8]) {
        self.init(adopting: bytes.withUnsafeBytes { Frame.makeMessage(copying: $0) })
    }

    /// A frame holding the UTF-8 bytes of `string` (no terminating NUL).
    public convenience init(_ string: String) {
        var string = string
        self.init(adopting: string.withUTF8 { Frame.makeMessage(copying: UnsafeRawBufferPointer($0)) })
    }

    private static func makeMessage(copying buffer: UnsafeRawBufferPointer) -> UnsafeMutablePointer<zmq_msg_t> {
        let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        // Only ENOMEM can fail here, which libzmq itself treats as fatal.
        precondition(zmq_msg_init_size(msg, buffer.count) == 0, "zmq_msg_init_size: out of memory")
        if let source = buffer.baseAddress, buffer.count > 0 {
            zmq_msg_data(msg).copyMemory(from: source, byteCount: buffer.count)
        }
        return msg
    }

    /// A frame that sends `buffer` without copying it (`zmq_msg_init_data`).
    ///
    /// `owner` is retained until libzmq no longer needs the bytes: its free callback, which runs on a
    /// libzmq I/O thread (or on whichever thread drops the last reference), releases it. `buffer` must
    /// stay valid and unmodified for as long as `owner` lives, which is the case when `owner` is the
    /// object that owns the storage (a tensor, say).
    public convenience init(noCopy buffer: UnsafeRawBufferPointer, owner: AnyObject & Sendable) {
        let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        let hint = Unmanaged<AnyObject>.passRetained(owner).toOpaque()
        let rc = zmq_msg_init_data(
            msg, UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count,
            { _, hint in
                // Runs on a libzmq I/O thread once the last reference to the bytes is gone.
                if let hint { Unmanaged<AnyObject>.fromOpaque(hint).release() }
            },
            hint
        )
        if rc != 0 {
            Unmanaged<AnyObject>.fromOpaque(hint).release()
            preconditionFailure("zmq_msg_init_data: out of memory")
        }
        self.init(adopting: msg)
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }

    /// Calls `body` with the frame's bytes. The pointer is valid only during the call.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        defer { withExtendedLifetime(self) {} }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The bytes as UTF-8 text, or nil when they are not valid UTF-8.
    public var string: String? {
        withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
    }

    /// Whether the frame holds exactly `other`'s bytes.
    public func hasSameBytes(as other: Frame) -> Bool {
        count == other.count && withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in mine.elementsEqual(theirs) }
        }
    }

    /// A connection property of a received frame (`zmq_msg_gets`): "User-Id" (set by the ZAP
    /// handler, e.g. the client's CURVE public key), "Peer-Address", "Socket-Type", "Routing-Id".
    /// Nil when the property is absent or the frame was not received.
    public func metadata(_ property: String) -> String? {
        copyLock.withLock { _ in
            zmq_msg_gets(message, property).map { String(cString: $0) }
        }
    }

    /// Initialises `target` as a new reference to this frame's bytes, for handing to `zmq_msg_send`.
    func copy(into target: UnsafeMutablePointer<zmq_msg_t>) {
        copyLock.withLock { _ in
            zmq_msg_init(target)
            // zmq_msg_copy only fails on an invalid source, which `message` never is.
            _ = zmq_msg_copy(target, message)
        }
    }
}

extension Frame: CustomStringConvertible {
    public var description: String {
        if count <= 64, let text = string, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            return "Frame(\"\(text)\")"
        }
        return "Frame(\(count) bytes)"
    }
}
