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
}
