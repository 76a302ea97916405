extension Socket {
    /// Makes this socket a CURVE server with `keyPair` (set before `bind`).
    ///
    /// **Encryption is not authentication:** a CURVE server accepts any client that knows its public
    /// key. Start a `ZAPHandler` on the same context with an allow-list to decide which client keys
    /// may connect; `zapDomain` is passed to that handler with each handshake.
    public func makeCurveServer(keyPair: CurveKeyPair, zapDomain: String = "switchyard") throws(ZMQError) {
        try set(.zapDomain, zapDomain)
        try set(.curveServer, true)
        try set(.curveSecretKey, keyPair.secretKey)
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey` (set before `connect`).
    public func makeCurveClient(keyPair: CurveKeyPair, serverKey: CurveKey) throws(ZMQError) {
        try set(.curveServerKey, serverKey)
        try set(.curvePublicKey, keyPair.publicKey)
        try set(.curveSecretKey, keyPair.secretKey)
    }
}
