import Testing
@testable import SwitchyardZMQ

@Suite("Pure logic")
struct PureLogicTests {
    @Test("FIFO keeps order across growth and wrap-around")
    func fifo() {
        var queue = FIFO<Int>()
        for i in 0..<10 { queue.append(i) }
        for i in 0..<5 { #expect(queue.popFirst() == i) }
        for i in 10..<40 { queue.append(i) }
        #expect(queue.count == 35)
        queue.replaceFirst(-5)
        #expect(queue.popFirst() == -5)
        #expect(queue.removeAll() == Array(6..<40))
        #expect(queue.isEmpty && queue.popFirst() == nil)
    }

    @Test("TimerQueue pops in deadline order, re-arms repeating timers, honours cancel")
    func timerQueue() {
        let t0 = ContinuousClock.now
        var timers = TimerQueue<String>()
        timers.schedule(id: 1, deadline: t0 + .milliseconds(30), interval: nil, action: "c")
        timers.schedule(id: 2, deadline: t0 + .milliseconds(10), interval: .milliseconds(10), action: "tick")
        timers.schedule(id: 3, deadline: t0 + .milliseconds(20), interval: nil, action: "b")
        timers.schedule(id: 4, deadline: t0 + .milliseconds(5), interval: nil, action: "gone")
        timers.cancel(id: 4)
        #expect(timers.nextDeadline() == t0 + .milliseconds(10))
        #expect(timers.popDue(now: t0 + .milliseconds(9)) == nil)
        var fired: [String] = []
        while let entry = timers.popDue(now: t0 + .milliseconds(30)) { fired.append(entry.action) }
        // The tick due at 10 ms fired late (at 30 ms), so its 20 ms period is skipped, not replayed.
        #expect(fired == ["tick", "b", "c"])
        #expect(timers.nextDeadline() == t0 + .milliseconds(40))
        // A long stall does not replay every missed period.
        let late = t0 + .seconds(10)
        #expect(timers.popDue(now: late)?.action == "tick")
        #expect(timers.popDue(now: late) == nil)
        timers.cancel(id: 2)
        #expect(timers.nextDeadline() == nil)
    }

    @Test("OutboundQueue: a blocked ROUTER peer holds back only its own messages, in order")
    func perPeerQueues() {
        var queue = OutboundQueue(perPeer: true, limit: 10)
        var blocked: Set<String> = ["slow"]
        var wire: [String] = []
        func attempt(_ pending: inout PendingSend) -> SendAttempt {
            let peer = pending.message[0].string!
            if blocked.contains(peer) { return .wouldBlock(sentFrames: 0) }
            if peer == "gone" { return .failed(.hostUnreachable) }
            wire.append(pending.message.strings.compactMap { $0 }.joined(separator: ":"))
            return .sent
        }
        #expect(queue.submit(Message(strings: ["slow", "1"]), attempt: attempt) == .queued)
        #expect(queue.submit(Message(strings: ["fast", "1"]), attempt: attempt) == .sent)
        #expect(queue.submit(Message(strings: ["slow", "2"]), attempt: attempt) == .queued)
        #expect(queue.submit(Message(strings: ["gone", "1"]), attempt: attempt) == .failed(.zmq(.hostUnreachable)))
        #expect(queue.submit(Message([]), attempt: attempt) == .failed(.emptyMessage))
        #expect(queue.count == 2)
        #expect(queue.flush(attempt: attempt, failed: { _, _ in Issue.record("unexpected failure") }) == 0)
        blocked = []
        #expect(queue.flush(attempt: attempt, failed: { _, _ in }) == 2)
        #expect(wire == ["fast:1", "slow:1", "slow:2"])
        #expect(queue.isEmpty)
    }

    @Test("OutboundQueue: one FIFO, limit, partial progress is resumed not restarted")
    func singleQueue() {
        var queue = OutboundQueue(perPeer: false, limit: 2)
        var budget = 0
        var framesOnWire: [String] = []
        func attempt(_ pending: inout PendingSend) -> SendAttempt {
            var index = pending.sentFrames
            while index < pending.message.count {
                guard budget > 0 else { return .wouldBlock(sentFrames: index) }
                budget -= 1
                framesOnWire.append(pending.message[index].string!)
                index += 1
            }
            return .sent
        }
        budget = 1
        #expect(queue.submit(Message(strings: ["a1", "a2"]), attempt: attempt) == .queued)
        #expect(queue.submit(Message(strings: ["b1"]), attempt: attempt) == .queued)
        #expect(queue.submit(Message(strings: ["c1"]), attempt: attempt) == .failed(.queueFull(limit: 2)))
        budget = 10
        #expect(queue.flush(attempt: attempt, failed: { _, _ in }) == 2)
        #expect(framesOnWire == ["a1", "a2", "b1"])
        #expect(queue.submit(Message(strings: ["d1"]), attempt: attempt) == .sent)
        budget = 0
        _ = queue.submit(Message(strings: ["e1"]), attempt: attempt)
        #expect(queue.removeAll().map(\.strings) == [["e1"]])
    }

    @Test("ZAP requests parse per RFC 27 and malformed ones are rejected")
    func zapRequest() throws {
        let key = try CurveKeyPair.generate().publicKey
        let frames: [[UInt8]] = [Array("1.0".utf8), [7, 7], Array("global".utf8), Array("10.0.0.1".utf8), [], Array("CURVE".utf8), key.bytes]
        let request = try ZAPRequest(frames: frames)
        #expect(request.requestID == [7, 7])
        #expect(request.domain == "global")
        #expect(request.address == "10.0.0.1")
        #expect(request.mechanism == "CURVE")
        #expect(request.curveKey == key)
        #expect(throws: ZAPRequestError.tooFewFrames(3)) { try ZAPRequest(frames: Array(frames.prefix(3))) }
        var wrongVersion = frames
        wrongVersion[0] = Array("2.0".utf8)
        #expect(throws: ZAPRequestError.unsupportedVersion("2.0")) { try ZAPRequest(frames: wrongVersion) }
    }

    @Test("ZAP policy: allow-list, accept-any, NULL and domain rules; reply frame layout")
    func zapPolicy() throws {
        let listed = try CurveKeyPair.generate().publicKey
        let other = try CurveKeyPair.generate().publicKey
        func curve(_ key: CurveKey, domain: String = "d") -> ZAPRequest {
            ZAPRequest(requestID: [1], domain: domain, address: "a", identity: [], mechanism: "CURVE", credentials: [key.bytes])
        }
        let policy = ZAPPolicy(allowedCurveKeys: [listed])
        #expect(policy.decide(curve(listed)) == .accept(userID: listed.z85))
        #expect(policy.decide(curve(other)).statusCode == "400")
        #expect(ZAPPolicy(allowedCurveKeys: nil).decide(curve(other)).isAccepted)
        let null = ZAPRequest(requestID: [1], domain: "d", address: "a", identity: [], mechanism: "NULL", credentials: [])
        #expect(!policy.decide(null).isAccepted)
        #expect(ZAPPolicy(allowedCurveKeys: [], allowNullMechanism: true).decide(null).isAccepted)
        #expect(!ZAPPolicy(allowedCurveKeys: nil, domain: "d").decide(curve(listed, domain: "e")).isAccepted)
        let malformed = ZAPRequest(requestID: [1], domain: "d", address: "a", identity: [], mechanism: "CURVE", credentials: [[1, 2]])
        #expect(policy.decide(malformed).statusCode == "400")

        let reply = ZAPReply.refuse("nope").frames(requestID: [9])
        #expect(reply == [Array("1.0".utf8), [9], Array("400".utf8), Array("nope".utf8), [], []])
    }
}
