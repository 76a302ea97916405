/// A set of expert ids written as ranges, as users type them: `0-3,7`.
///
/// The ids apply to every layer: `--experts 0-3` pins experts 0, 1, 2 and 3 of each layer (and
/// id 0, the dense MLP, of non-sparse layers).
public struct ExpertSpec: Sendable, Equatable, CustomStringConvertible {
    public let ids: Set<Int>

    public init(ids: Set<Int>) { self.ids = ids }

    /// Parses `0-3,7`; throws a message naming the bad part.
    public init(parsing text: String) throws(ExpertSpecError) {
        var ids = Set<Int>()
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        for raw in parts {
            let part = raw.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { throw ExpertSpecError(text: text, reason: "empty element") }
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let id = Int(bounds[0]), id >= 0 else { throw ExpertSpecError(text: text, reason: "`\(part)` is not an expert id") }
                ids.insert(id)
            case 2:
                guard let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0, low <= high else {
                    throw ExpertSpecError(text: text, reason: "`\(part)` is not a range low-high")
                }
                guard high - low < 1 << 16 else { throw ExpertSpecError(text: text, reason: "range `\(part)` is too large") }
                ids.formUnion(low ... high)
            default:
                throw ExpertSpecError(text: text, reason: "`\(part)` is not an id or a range")
            }
        }
        self.ids = ids
    }

    /// The canonical text: sorted, consecutive ids folded into ranges.
    public var description: String {
        var parts: [String] = []
        var sorted = ids.sorted()[...]
        while let first = sorted.first {
            var last = first
            sorted = sorted.dropFirst()
            while let next = sorted.first, next == last + 1 { last = next; sorted = sorted.dropFirst() }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }
}

/// A malformed expert spec.
public struct ExpertSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "invalid expert list `\(text)`: \(reason) (expected e.g. `0-3,7`)" }
}

import Foundation
