import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by libzmq: the `errno` value it set plus `zmq_strerror`'s text.
///
/// Callers branch on the named constants (`error == .again`, `case .hostUnreachable`) rather than
/// on raw numbers; `code` stays available for anything not named here. Equality compares `code` only.
public struct ZMQError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value (POSIX or one of libzmq's own, such as `ETERM` or `EFSM`).
    public let code: Int32
    /// What failed, e.g. "zmq_bind(tcp://127.0.0.1:*)"; empty when built from a bare code.
    public let operation: String

    /// An error for `code`, remembering which call failed.
    public init(code: Int32, operation: String = "") {
        self.code = code
        self.operation = operation
    }

    /// The error for the calling thread's current `zmq_errno()`; call right after a libzmq failure.
    public static func last(_ operation: String = "") -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// libzmq's description of `code` (`zmq_strerror`).
    public var message: String { String(cString: zmq_strerror(code)) }

    public var description: String {
        operation.isEmpty ? "ZMQError \(code): \(message)" : "\(operation) failed: \(message) (errno \(code))"
    }

    public static func == (lhs: ZMQError, rhs: ZMQError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Allows `case .again:` in a `switch` over a thrown `ZMQError`.
    public static func ~= (pattern: ZMQError, value: ZMQError) -> Bool { pattern.code == value.code }
}

extension ZMQError {
    /// `EAGAIN`: a non-blocking send or receive would block (high-water mark reached, nothing queued), or a timeout expired.
    public static let again = ZMQError(code: EAGAIN)
    /// `EHOSTUNREACH`: a ROUTER with `routerMandatory` has no peer with that routing id.
    public static let hostUnreachable = ZMQError(code: EHOSTUNREACH)
    /// `ETERM`: the socket's context was shut down or terminated.
    public static let terminated = ZMQError(code: ZMQ_ETERM_CODE)
    /// `EINTR`: a signal interrupted the call; retrying is safe.
    public static let interrupted = ZMQError(code: EINTR)
    /// `EFSM`: the operation is illegal in the socket's current state (e.g. REQ sending twice).
    public static let invalidState = ZMQError(code: ZMQ_EFSM_CODE)
    /// `ENOTSOCK`: the socket was closed.
    public static let notSocket = ZMQError(code: ENOTSOCK)
    /// `EINVAL`: an invalid argument (bad option value, malformed endpoint).
    public static let invalidArgument = ZMQError(code: EINVAL)
    /// `EADDRINUSE`: the endpoint is already bound.
    public static let addressInUse = ZMQError(code: EADDRINUSE)
    /// `ENOENT`: unbind/disconnect of an endpoint that is not bound/connected.
    public static let noSuchEndpoint = ZMQError(code: ENOENT)
    /// `EPROTONOSUPPORT`: the transport is not supported (e.g. a typo in "tcp://").
    public static let protocolNotSupported = ZMQError(code: EPROTONOSUPPORT)
    /// `ECONNREFUSED`: a connection was refused (e.g. an inproc connect to nothing with `immediate`).
    public static let connectionRefused = ZMQError(code: ECONNREFUSED)
    /// `ENOTSUP`: the operation is not supported by this socket type.
    public static let notSupported = ZMQError(code: ENOTSUP)
    /// `EMTHREAD`: no I/O thread is available.
    public static let noIOThread = ZMQError(code: ZMQ_EMTHREAD_CODE)
}

/// libzmq's own error numbers (`ZMQ_HAUSNUMERO` based); the C macros are not imported into Swift.
let ZMQ_ETERM_CODE: Int32 = 156_384_712 + 53
let ZMQ_EFSM_CODE: Int32 = 156_384_712 + 51
let ZMQ_EMTHREAD_CODE: Int32 = 156_384_712 + 54
