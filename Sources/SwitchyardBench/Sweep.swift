import Foundation

/// A list of load points run one after another (`--sweep rate=1,2,4` or `--sweep concurrency=1,8,32`).
public enum Sweep: Sendable, Equatable {
    /// Request rates in requests/s (`inf` allowed).
    case rates([Double])
    /// Concurrency caps.
    case concurrencies([Int])

    /// Parses `KEY=V1,V2,...` with KEY `rate`/`request-rate` or `concurrency`/`max-concurrency`.
    public init(parsing text: String) throws {
        let pair = text.split(separator: "=", maxSplits: 1)
        guard pair.count == 2 else {
            throw BenchInputError("--sweep '\(text)': expected rate=R1,R2,... or concurrency=C1,C2,...")
        }
        let values = pair[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !values.isEmpty, values.count <= 64 else {
            throw BenchInputError("--sweep '\(text)': give between 1 and 64 values")
        }
        switch pair[0].lowercased() {
        case "rate", "request-rate":
            self = .rates(try values.map { v in
                guard let r = Double(v), r > 0, !r.isNaN else {
                    throw BenchInputError("--sweep: rate '\(v)' must be a positive number or inf")
                }
                return r
            })
        case "concurrency", "max-concurrency":
            self = .concurrencies(try values.map { v in
                guard let c = Int(v), c >= 1 else {
                    throw BenchInputError("--sweep: concurrency '\(v)' must be a positive integer")
                }
                return c
            })
        default:
            throw BenchInputError("--sweep: unknown key '\(pair[0])' (use rate or concurrency)")
        }
    }

    /// The number of points.
    public var count: Int {
        switch self {
        case .rates(let r): r.count
        case .concurrencies(let c): c.count
        }
    }
}
