/// Frame 0 of every message: magic, version and kind (see ``WireFormat``).
public struct ProtocolHeader: Sendable, Equatable {
    public var version: UInt16
    public var kind: MessageKind

    public init(kind: MessageKind, version: UInt16 = WireFormat.version) {
        self.kind = kind
        self.version = version
    }

    /// The 8 bytes of frame 0.
    public var bytes: [UInt8] {
        var out = WireFormat.magic
        out.reserveCapacity(WireFormat.protocolHeaderSize)
        out.append(UInt8(truncatingIfNeeded: version))
        out.append(UInt8(truncatingIfNeeded: version >> 8))
        out.append(UInt8(truncatingIfNeeded: kind.rawValue))
        out.append(UInt8(truncatingIfNeeded: kind.rawValue >> 8))
        return out
    }

    /// Parses frame 0, checking magic, then version, then kind, so that a peer of another
    /// version is reported as such even when it added kinds we do not know.
    public static func parse(_ frame: UnsafeRawBufferPointer) throws(WireError) -> ProtocolHeader {
        guard frame.count == WireFormat.protocolHeaderSize else {
            throw .badProtocolHeader(length: frame.count)
        }
        let magic = WireFormat.magic
        guard frame[0] == magic[0], frame[1] == magic[1], frame[2] == magic[2], frame[3] == magic[3] else {
            throw .badMagic(Array(frame[0..<4]))
        }
        let version = UInt16(frame[4]) | UInt16(frame[5]) << 8
        guard version == WireFormat.version else {
            throw .wrongVersion(peer: version, ours: WireFormat.version)
        }
        let rawKind = UInt16(frame[6]) | UInt16(frame[7]) << 8
        guard let kind = MessageKind(rawValue: rawKind) else { throw .unknownKind(rawKind) }
        return ProtocolHeader(kind: kind, version: version)
    }
}
