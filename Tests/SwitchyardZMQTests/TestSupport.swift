import Synchronization
import Testing
@testable import SwitchyardZMQ

/// A lock-protected value that escaping closures can capture (a bare `Mutex` is not copyable).
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Collects events from `stream` until `done` says so or `timeout` passes (bounded: never hangs).
func collect(
    _ stream: AsyncStream<ReactorEvent>, timeout: Duration = .seconds(10),
    until done: @escaping @Sendable ([ReactorEvent]) -> Bool
) async -> [ReactorEvent] {
    let gathered = Shared<[ReactorEvent]>([])
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            for await event in stream {
                let finished = gathered.withLock { all in
                    all.append(event)
                    return done(all)
                }
                if finished { return }
            }
        }
        group.addTask { try? await Task.sleep(for: timeout) }
        await group.next()
        group.cancelAll()
    }
    return gathered.withLock { $0 }
}

/// The messages among `events`.
func messages(_ events: [ReactorEvent]) -> [Message] {
    events.compactMap { if case .message(_, let message) = $0 { message } else { nil } }
}

/// A socket with a receive timeout, so a test's blocking receive can never hang.
func makeSocket(_ context: Context, _ type: SocketType, receiveTimeoutMs: Int32 = 5000) throws -> Socket {
    let socket = try Socket(context, type: type)
    try socket.set(.receiveTimeout, receiveTimeoutMs)
    try socket.set(.sendTimeout, receiveTimeoutMs)
    return socket
}

/// A monitor PAIR socket connected to `socket`'s events.
func monitor(_ socket: Socket, name: String, kinds: SocketEvent.Kinds = .all) throws -> Socket {
    let endpoint = "inproc://monitor-\(name)-\(ReactorIDs.next())"
    try socket.monitor(endpoint, kinds: kinds)
    let pair = try makeSocket(socket.context, .pair, receiveTimeoutMs: 100)
    try pair.connect(endpoint)
    return pair
}

/// Reads monitor events until one of `kinds` arrives or `timeout` passes.
func waitForEvent(_ monitor: Socket, _ kinds: SocketEvent.Kinds, timeout: Duration = .seconds(5)) -> SocketEvent? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        guard let message = try? monitor.receive(), let event = try? SocketEvent(message: message) else { continue }
        if !event.kind.isDisjoint(with: kinds) { return event }
    }
    return nil
}

/// A little-endian UInt64 frame.
func sequenceFrame(_ n: UInt64) -> Frame {
    withUnsafeBytes(of: n.littleEndian) { Frame(copying: $0) }
}

func sequenceNumber(_ frame: Frame) -> UInt64? {
    guard frame.count == 8 else { return nil }
    return frame.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}

/// An object whose release the zero-copy tests watch; owns a buffer of `count` bytes.
final class OwnedBuffer: @unchecked Sendable {
    // @unchecked: the buffer is written once in init and only read afterwards.
    let pointer: UnsafeMutableRawBufferPointer

    init(count: Int, seed: UInt8) {
        pointer = .allocate(byteCount: count, alignment: 64)
        var state = UInt32(seed) &+ 1
        for i in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            pointer[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(pointer) }

    deinit { pointer.deallocate() }
}
