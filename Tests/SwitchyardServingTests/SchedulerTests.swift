import Testing
@testable import SwitchyardServing

@Suite("Scheduler")
struct SchedulerTests {
    func id(_ n: UInt64) -> SequenceID { SequenceID(n) }

    @Test func admitsFirstComeFirstServedWithinKVBudget() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 100, maxRunningSequences: 8, kvCapacityTokens: 30))
        #expect(scheduler.submit(id(1), promptLength: 10, maxNewTokens: 10) == nil)
        #expect(scheduler.submit(id(2), promptLength: 5, maxNewTokens: 10) == nil)
        #expect(scheduler.submit(id(3), promptLength: 1, maxNewTokens: 1) == nil)
        let plan = scheduler.nextStep()
        // 1 reserves 20 of 30; 2 needs 15 and waits; 3 must not jump the queue.
        #expect(plan.admitted == [id(1)])
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 10, samples: true)])
        #expect(scheduler.waitingCount == 2)
        #expect(scheduler.kvUsage == 20.0 / 30.0)
        scheduler.completed(plan)
        scheduler.finish(id(1))
        let next = scheduler.nextStep()
        #expect(next.admitted == [id(2), id(3)])
        #expect(scheduler.reservedTokens == 17)
    }

    @Test func rejectsWhatCanNeverFitAndFullQueues() {
        var scheduler = Scheduler(limits: SchedulerLimits(kvCapacityTokens: 10, maxWaiting: 1))
        #expect(scheduler.submit(id(1), promptLength: 8, maxNewTokens: 3) == .exceedsCapacity(needed: 11, capacity: 10))
        #expect(scheduler.submit(id(2), promptLength: 2, maxNewTokens: 2) == nil)
        #expect(scheduler.submit(id(3), promptLength: 2, maxNewTokens: 2) == .queueFull(limit: 1))
        #expect(scheduler.submit(id(2), promptLength: 2, maxNewTokens: 2) == .duplicate)
    }

    @Test func chunksLongPromptsWhileDecodesContinue() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 8, maxRunningSequences: 4, kvCapacityTokens: 1000))
        _ = scheduler.submit(id(1), promptLength: 3, maxNewTokens: 5)
        var plan = scheduler.nextStep()
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 3, samples: true)])
        scheduler.completed(plan)
        scheduler.appendToken(id(1))

        _ = scheduler.submit(id(2), promptLength: 20, maxNewTokens: 1)
        plan = scheduler.nextStep()
        // The decode of 1 goes first, then 7 tokens of 2's prompt.
        #expect(plan.feeds == [.init(id: id(1), start: 3, count: 1, samples: true),
                               .init(id: id(2), start: 0, count: 7, samples: false)])
        scheduler.completed(plan)
        scheduler.appendToken(id(1))
        plan = scheduler.nextStep()
        #expect(plan.feeds == [.init(id: id(1), start: 4, count: 1, samples: true),
                               .init(id: id(2), start: 7, count: 7, samples: false)])
        scheduler.completed(plan)
        scheduler.finish(id(1))
        plan = scheduler.nextStep()
        #expect(plan.feeds == [.init(id: id(2), start: 14, count: 6, samples: true)])
        #expect(plan.tokenCount == 6)
    }

    @Test func capsRunningSequences() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 100, maxRunningSequences: 2, kvCapacityTokens: 1000))
        for n in 1...3 { _ = scheduler.submit(id(UInt64(n)), promptLength: 2, maxNewTokens: 2) }
        let plan = scheduler.nextStep()
        #expect(plan.admitted == [id(1), id(2)])
        #expect(scheduler.runningCount == 2 && scheduler.waitingCount == 1)
    }

    @Test func cancellingWaitingOrRunningFreesEverything() {
        var scheduler = Scheduler(limits: SchedulerLimits(kvCapacityTokens: 100))
        _ = scheduler.submit(id(1), promptLength: 10, maxNewTokens: 10)
        _ = scheduler.submit(id(2), promptLength: 10, maxNewTokens: 10)
        _ = scheduler.nextStep()
        let finishedFirst = scheduler.finish(id(1))
        let finishedSecond = scheduler.finish(id(2))
        let finishedUnknown = scheduler.finish(id(3))
        #expect(finishedFirst && finishedSecond && !finishedUnknown)
        #expect(scheduler.isIdle && scheduler.reservedTokens == 0)
        // A plan computed before a cancel reports nothing for the removed sequence.
        _ = scheduler.submit(id(4), promptLength: 4, maxNewTokens: 1)
        let plan = scheduler.nextStep()
        scheduler.finish(id(4))
        scheduler.completed(plan)
        #expect(scheduler.isIdle)
    }

    @Test("siblings compute their prompt once: the leader prefills all but the last token, then all fork and sample")
    func siblingsShareThePrompt() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 100, maxRunningSequences: 8, kvCapacityTokens: 1000))
        #expect(scheduler.submit(siblings: [id(1), id(2), id(3)], promptLength: 10, maxNewTokens: 4) == nil)
        var plan = scheduler.nextStep()
        #expect(plan.admitted == [id(1), id(2), id(3)])
        #expect(plan.forks.isEmpty)
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 9, samples: false)])
        scheduler.completed(plan)
        plan = scheduler.nextStep()
        #expect(plan.forks == [.init(source: id(1), target: id(2), count: 9), .init(source: id(1), target: id(3), count: 9)])
        #expect(plan.feeds == [.init(id: id(2), start: 9, count: 1, samples: true), .init(id: id(3), start: 9, count: 1, samples: true),
                               .init(id: id(1), start: 9, count: 1, samples: true)])
        scheduler.completed(plan)
        for n in 1...3 { scheduler.appendToken(id(UInt64(n))) }
        plan = scheduler.nextStep()
        // Now three independent decodes.
        #expect(plan.forks.isEmpty)
        #expect(plan.feeds == (1...3).map { .init(id: id(UInt64($0)), start: 10, count: 1, samples: true) })
    }

    @Test("siblings beyond the step's budget fork from the leader in the next step, before decodes")
    func siblingsForkInLaterSteps() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 3, maxRunningSequences: 8, kvCapacityTokens: 1000))
        _ = scheduler.submit(siblings: [id(1), id(2), id(3), id(4)], promptLength: 3, maxNewTokens: 4)
        var plan = scheduler.nextStep()
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 2, samples: false)])
        scheduler.completed(plan)
        plan = scheduler.nextStep()
        // Two siblings fork with the leader's last prompt token; the third waits.
        #expect(plan.forks == [.init(source: id(1), target: id(2), count: 2), .init(source: id(1), target: id(3), count: 2)])
        #expect(plan.feeds.map(\.id) == [id(2), id(3), id(1)])
        scheduler.completed(plan)
        for n in 1...3 { scheduler.appendToken(id(UInt64(n))) }
        plan = scheduler.nextStep()
        // The fourth sibling forks before the decodes take the budget.
        #expect(plan.forks == [.init(source: id(1), target: id(4), count: 2)])
        #expect(plan.feeds == [.init(id: id(4), start: 2, count: 1, samples: true), .init(id: id(1), start: 3, count: 1, samples: true),
                               .init(id: id(2), start: 3, count: 1, samples: true)])
    }

    @Test("a chunked shared prompt stops one short; a leader that goes away leaves its siblings to prefill")
    func siblingsChunkedAndOrphaned() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 6, maxRunningSequences: 8, kvCapacityTokens: 1000))
        _ = scheduler.submit(siblings: [id(1), id(2)], promptLength: 10, maxNewTokens: 4)
        var plan = scheduler.nextStep()
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 6, samples: false)])
        scheduler.completed(plan)
        plan = scheduler.nextStep()
        #expect(plan.feeds == [.init(id: id(1), start: 6, count: 3, samples: false)])
        scheduler.completed(plan)
        scheduler.finish(id(1))  // cancelled before the fork
        plan = scheduler.nextStep()
        #expect(plan.forks.isEmpty)
        #expect(plan.feeds == [.init(id: id(2), start: 0, count: 6, samples: false)])
    }

    @Test("siblings not admitted in time prefill themselves; a one-token prompt has nothing to share; all or none queue")
    func siblingsEdgeCases() {
        var scheduler = Scheduler(limits: SchedulerLimits(maxBatchTokens: 100, maxRunningSequences: 1, kvCapacityTokens: 1000, maxWaiting: 3))
        #expect(scheduler.submit(siblings: [id(1), id(2)], promptLength: 5, maxNewTokens: 1) == nil)
        var plan = scheduler.nextStep()
        // Only the leader runs (one running sequence at most): it does not wait for a sibling it cannot fork.
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 5, samples: true)])
        scheduler.completed(plan)
        scheduler.finish(id(1))
        plan = scheduler.nextStep()
        #expect(plan.admitted == [id(2)])
        #expect(plan.feeds == [.init(id: id(2), start: 0, count: 5, samples: true)])
        scheduler.finish(id(2))

        #expect(scheduler.submit(siblings: [id(3), id(4), id(5), id(6)], promptLength: 2, maxNewTokens: 1) == .queueFull(limit: 3))
        #expect(scheduler.isIdle)
        #expect(scheduler.submit(siblings: [id(7), id(7)], promptLength: 2, maxNewTokens: 1) == .duplicate)

        var single = Scheduler(limits: SchedulerLimits(maxBatchTokens: 100, maxRunningSequences: 8, kvCapacityTokens: 1000))
        _ = single.submit(siblings: [id(1), id(2)], promptLength: 1, maxNewTokens: 3)
        plan = single.nextStep()
        #expect(plan.forks.isEmpty)
        #expect(plan.feeds == [.init(id: id(1), start: 0, count: 1, samples: true), .init(id: id(2), start: 0, count: 1, samples: true)])
    }
}
