import Synchronization

/// Process-wide unique ids for socket and timer handles.
enum ReactorIDs {
    private static let counter = Atomic<Int>(0)

    static func next() -> Int {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
