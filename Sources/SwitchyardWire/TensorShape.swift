/// Overflow-checked size arithmetic for headers that have not been checked against limits yet.
enum TensorShape {
    /// `rows x hidden x elementSize`, or nil when it overflows `Int`.
    static func byteCount(rows: Int, hidden: Int, elementSize: Int) -> Int? {
        let (elements, overflow1) = rows.multipliedReportingOverflow(by: hidden)
        let (bytes, overflow2) = elements.multipliedReportingOverflow(by: elementSize)
        return overflow1 || overflow2 ? nil : bytes
    }
}
