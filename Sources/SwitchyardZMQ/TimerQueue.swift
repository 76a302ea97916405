/// The reactor's timers: a binary min-heap on deadline, with cancellation by id.
///
/// Pure logic with an explicit `now`, so its ordering and repetition are testable without threads.
struct TimerQueue<Action> {
    struct Entry {
        var deadline: ContinuousClock.Instant
        let id: Int
        let interval: Duration?
        let action: Action
    }

    private var heap: [Entry] = []
    private var cancelled: Set<Int> = []

    var isEmpty: Bool { heap.count == cancelled.count }

    /// The earliest pending deadline, if any.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        dropCancelledTop()
        return heap.first?.deadline
    }

    mutating func schedule(id: Int, deadline: ContinuousClock.Instant, interval: Duration?, action: Action) {
        heap.append(Entry(deadline: deadline, id: id, interval: interval, action: action))
        siftUp(heap.count - 1)
    }

    mutating func cancel(id: Int) {
        if heap.contains(where: { $0.id == id }) { cancelled.insert(id) }
    }

    /// Removes and returns the next timer due at `now`; a repeating timer is re-armed for its next
    /// period (skipping periods missed while the loop was busy, so it never fires in a burst).
    mutating func popDue(now: ContinuousClock.Instant) -> Entry? {
        dropCancelledTop()
        guard let top = heap.first, top.deadline <= now else { return nil }
        if let interval = top.interval, interval > .zero {
            var next = top.deadline + interval
            if next <= now { next = now + interval }
            heap[0].deadline = next
            siftDown(0)
        } else {
            removeTop()
        }
        return top
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, cancelled.contains(top.id) {
            cancelled.remove(top.id)
            removeTop()
        }
    }

    private mutating func removeTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
