import CZeroMQ

extension Socket {
    /// Sets an integer option (`.linger`, `.sendHighWaterMark`, `.heartbeatInterval`, ...).
    public func set(_ option: SocketOption<Int32>, _ value: Int32) throws(ZMQError) {
        var value = value
        try setRaw(option.code, &value, MemoryLayout<Int32>.size, name: "\(option.name)=\(value)")
    }

    /// Sets a 64-bit option (`.maxMessageSize`).
    public func set(_ option: SocketOption<Int64>, _ value: Int64) throws(ZMQError) {
        var value = value
        try setRaw(option.code, &value, MemoryLayout<Int64>.size, name: "\(option.name)=\(value)")
    }

    /// Sets a boolean option (`.routerMandatory`, `.immediate`, `.curveServer`, ...).
    public func set(_ option: SocketOption<Bool>, _ value: Bool) throws(ZMQError) {
        var flag: Int32 = value ? 1 : 0
        try setRaw(option.code, &flag, MemoryLayout<Int32>.size, name: "\(option.name)=\(value)")
    }

    /// Sets a binary option (`.routingID`, `.subscribe`).
    public func set(_ option: SocketOption<[UInt8]>, _ value: [UInt8]) throws(ZMQError) {
        let socket = try liveHandle("zmq_setsockopt(\(option.name))")
        let rc = value.withUnsafeBytes { zmq_setsockopt(socket, option.code, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(option.name), \(value.count) bytes)") }
    }

    /// Sets a text option (`.zapDomain`).
    public func set(_ option: SocketOption<String>, _ value: String) throws(ZMQError) {
        try set(SocketOption<[UInt8]>(code: option.code, name: option.name), Array(value.utf8))
    }

    /// Sets a CURVE key option from its 32 raw bytes.
    public func set(_ option: SocketOption<CurveKey>, _ value: CurveKey) throws(ZMQError) {
        try set(SocketOption<[UInt8]>(code: option.code, name: option.name), value.bytes)
    }

    /// Reads an integer option.
    public func get(_ option: SocketOption<Int32>) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        try getRaw(option.code, &value, MemoryLayout<Int32>.size, name: option.name)
        return value
    }

    /// Reads a 64-bit option.
    public func get(_ option: SocketOption<Int64>) throws(ZMQError) -> Int64 {
        var value: Int64 = 0
        try getRaw(option.code, &value, MemoryLayout<Int64>.size, name: option.name)
        return value
    }

    /// Reads a boolean option (libzmq cannot read back ROUTER_MANDATORY or ROUTER_HANDOVER: those throw `.invalidArgument`).
    public func get(_ option: SocketOption<Bool>) throws(ZMQError) -> Bool {
        var value: Int32 = 0
        try getRaw(option.code, &value, MemoryLayout<Int32>.size, name: option.name)
        return value != 0
    }

    /// Reads a binary option (`.routingID`).
    public func get(_ option: SocketOption<[UInt8]>) throws(ZMQError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        let socket = try liveHandle("zmq_getsockopt(\(option.name))")
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(socket, option.code, $0.baseAddress, &size) }
        if rc != 0 { throw ZMQError.last("zmq_getsockopt(\(option.name))") }
        return Array(buffer.prefix(size))
    }

    /// Reads a text option (`.zapDomain`).
    public func get(_ option: SocketOption<String>) throws(ZMQError) -> String {
        try stringOption(option.code, name: option.name)
    }

    /// `ZMQ_EVENTS`: whether a receive (`.pollIn`) or send (`.pollOut`) would succeed right now.
    public var events: PollEvents {
        get throws(ZMQError) {
            var value: Int32 = 0
            try getRaw(ZMQ_EVENTS, &value, MemoryLayout<Int32>.size, name: "ZMQ_EVENTS")
            return PollEvents(rawValue: Int16(truncatingIfNeeded: value))
        }
    }

    /// `ZMQ_FD`: a file descriptor that becomes readable when `events` may have changed; it is
    /// edge-triggered, so re-check `events` after every wake-up. For integrating with another poller.
    public var fileDescriptor: Int32 {
        get throws(ZMQError) {
            var value: Int32 = -1
            try getRaw(ZMQ_FD, &value, MemoryLayout<Int32>.size, name: "ZMQ_FD")
            return value
        }
    }

    func stringOption(_ code: Int32, name: String) throws(ZMQError) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        let socket = try liveHandle("zmq_getsockopt(\(name))")
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(socket, code, $0.baseAddress, &size) }
        if rc != 0 { throw ZMQError.last("zmq_getsockopt(\(name))") }
        // libzmq includes the terminating NUL in `size` for string options.
        let bytes = buffer.prefix(size).prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func setRaw(_ code: Int32, _ value: UnsafeRawPointer, _ size: Int, name: @autoclosure () -> String) throws(ZMQError) {
        let socket = try liveHandle("zmq_setsockopt(\(name()))")
        if zmq_setsockopt(socket, code, value, size) != 0 { throw ZMQError.last("zmq_setsockopt(\(name()))") }
    }

    private func getRaw(_ code: Int32, _ value: UnsafeMutableRawPointer, _ size: Int, name: String) throws(ZMQError) {
        let socket = try liveHandle("zmq_getsockopt(\(name))")
        var size = size
        if zmq_getsockopt(socket, code, value, &size) != 0 { throw ZMQError.last("zmq_getsockopt(\(name))") }
    }
}
