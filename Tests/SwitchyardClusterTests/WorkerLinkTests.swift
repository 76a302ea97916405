import SwitchyardTools
import Foundation
import Testing
@testable import SwitchyardCluster
@testable import SwitchyardCluster
import SwitchyardModel

/// The pure parts: the connection state machine, the digest and the fingerprint.
struct WorkerLinkTests {
    let t0 = ContinuousClock.now

    private func link() -> WorkerLink {
        WorkerLink(heartbeatInterval: .milliseconds(100), liveness: 3, minDelay: .milliseconds(100), maxDelay: .milliseconds(400), now: t0)
    }

    @Test func connectsAtOnceThenHeartbeatsOnlyWhenRegistered() {
        var link = link()
        #expect(link.tick(now: t0) == [.connectAndRegister])
        #expect(link.state == .registering)
        #expect(link.tick(now: t0 + .milliseconds(150)).isEmpty)  // no heartbeats before welcome
        link.welcomed(heartbeatInterval: .milliseconds(50), liveness: 2, now: t0 + .milliseconds(150))
        #expect(link.tick(now: t0 + .milliseconds(160)) == [.heartbeat])  // 160 ms since the last
        #expect(link.tick(now: t0 + .milliseconds(180)).isEmpty)
        #expect(link.tick(now: t0 + .milliseconds(210)) == [.heartbeat])
    }

    @Test func silenceDisconnectsWithDoublingCappedBackOffResetByWelcome() {
        var link = link()
        _ = link.tick(now: t0)
        var now = t0
        var delays: [Duration] = []
        for _ in 0..<4 {
            now = now + .milliseconds(301)
            let actions = link.tick(now: now)
            guard case .disconnect(let delay, _)? = actions.first else { Issue.record("expected disconnect, got \(actions)"); return }
            delays.append(delay)
            #expect(link.tick(now: now + delay - .milliseconds(1)).isEmpty)
            now = now + delay
            #expect(link.tick(now: now) == [.connectAndRegister])
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(400)])
        link.welcomed(heartbeatInterval: .milliseconds(100), liveness: 3, now: now)
        now = now + .milliseconds(301)
        guard case .disconnect(let delay, _)? = link.tick(now: now).last else { Issue.record("expected disconnect"); return }
        #expect(delay == .milliseconds(100))
    }

    @Test func hearingFromTheRouterKeepsTheLinkAlive() {
        var link = link()
        _ = link.tick(now: t0)
        link.welcomed(heartbeatInterval: .milliseconds(100), liveness: 3, now: t0)
        for step in 1...10 {
            let now = t0 + .milliseconds(250 * step)
            link.heard(now: now)
            #expect(!link.tick(now: now).contains { if case .disconnect = $0 { true } else { false } })
        }
        #expect(link.state == .registered)
    }

    @Test func unknownPeerReRegistersAndStopIsFinal() {
        var link = link()
        _ = link.tick(now: t0)
        link.welcomed(heartbeatInterval: .milliseconds(100), liveness: 3, now: t0)
        #expect(link.unknownPeer(now: t0) == [.register])
        #expect(link.state == .registering)
        link.stop()
        #expect(link.tick(now: t0 + .seconds(10)).isEmpty)
        #expect(link.unknownPeer(now: t0).isEmpty)
    }

    @Test func sha256MatchesKnownVectors() {
        var empty = SHA256()
        #expect(hex(empty.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Array("abc".utf8))
        #expect(hex(abc.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        long.update(Array("abcdbcdecdefdefgefghfghighij".utf8))
        long.update(Array("hijkijkljklmklmnlmnomnopnopq".utf8))
        #expect(hex(long.finalize()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func fingerprintFollowsConfigAndHeaders() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-fingerprint-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: base) }
        let config = ModelInitializer.config(family: .mixtral, preset: .tiny)
        let a = base.appendingPathComponent("a"), b = base.appendingPathComponent("b"), c = base.appendingPathComponent("c")
        try ModelInitializer.write(config: config, dtype: .f32, seed: 1, to: a)
        try ModelInitializer.write(config: config, dtype: .f32, seed: 2, to: b)  // other weights, same headers
        var wider = config
        wider.numLayers = 3
        try ModelInitializer.write(config: wider, dtype: .f32, seed: 1, to: c)
        let fa = try ModelIdentity.fingerprint(config: config, directory: a)
        let fb = try ModelIdentity.fingerprint(config: config, directory: b)
        let fc = try ModelIdentity.fingerprint(config: wider, directory: c)
        #expect(fa.digest.count == 64)
        #expect(fa == fb)
        #expect(fa.digest != fc.digest)
        #expect(fc.layers == 3 && fa.expertsPerLayer == 4 && fa.modelType == "mixtral")
        #expect(fc.mismatch(against: fa) != nil)
        #expect(throws: ModelIdentityError.self) { try ModelIdentity.fingerprint(config: config, directory: base) }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
