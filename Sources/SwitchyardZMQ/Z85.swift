import CZeroMQ

/// Z85 (ZeroMQ RFC 32) text encoding, through libzmq.
enum Z85 {
    static let alphabet: Set<Unicode.Scalar> = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars
    )

    /// Encodes `bytes` (a multiple of 4 long) as Z85 text.
    static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count % 4 == 0, "Z85 encodes multiples of 4 bytes")
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        _ = text.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { zmq_z85_encode(out.baseAddress, $0.baseAddress, $0.count) }
        }
        return String(nulTerminated: text)
    }
}
