/// One option or flag a command declares, as swift-argument-parser describes it, with the
/// environment variable that can supply it.
///
/// The variable is `SWITCHYARD_` plus the long name in upper case with `-` as `_`
/// (`--allowed-workers` is `SWITCHYARD_ALLOWED_WORKERS`). Positional arguments have no variable.
struct DeclaredOption: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Takes a value: `--port 8000`.
        case option
        /// Present or absent: `--json`.
        case flag
    }

    let kind: Kind
    /// Long names without dashes (`allowed-workers`), in declaration order.
    let longNames: [String]
    /// Long names spelled with one dash (`-name`), without the dash.
    let singleDashLongNames: [String]
    /// Short names (`-p` is `p`).
    let shortNames: [Character]
    /// Repeatable: an array option (`--goodput a --goodput b`) or a counted flag.
    let isRepeating: Bool

    static let environmentPrefix = "SWITCHYARD_"

    /// The name the variable is derived from: the first long name, else the first single-dash one.
    var primaryName: String? { longNames.first ?? singleDashLongNames.first }

    /// How to spell `name` on a command line.
    func spelling(of name: String) -> String {
        longNames.contains(name) ? "--" + name : "-" + name
    }

    /// `SWITCHYARD_ALLOWED_WORKERS` for `allowed-workers`.
    static func environmentVariable(for name: String) -> String {
        environmentPrefix + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Every variable this option answers to with the name it stands for. An option has one; a
    /// flag has one per long name (an enumerable flag `--fast`/`--slow` has a variable for each),
    /// except that an inversion pair `--x`/`--no-x` shares `SWITCHYARD_X` (false gives `--no-x`).
    var environmentNames: [(variable: String, name: String)] {
        switch kind {
        case .option:
            return primaryName.map { [(Self.environmentVariable(for: $0), $0)] } ?? []
        case .flag:
            let names = longNames + singleDashLongNames
            return names.compactMap { name in
                if let positive = positiveName(ofInverted: name), names.contains(positive) { return nil }
                return (Self.environmentVariable(for: name), name)
            }
        }
    }

    /// `x` for `no-x` (the inverted half of an inversion pair), nil otherwise.
    func positiveName(ofInverted name: String) -> String? {
        name.hasPrefix("no-") ? String(name.dropFirst(3)) : nil
    }

    /// True when `token` (one argv word, before any `--`) names this option.
    func isNamed(by token: String) -> Bool {
        if token.hasPrefix("--") {
            let body = token.dropFirst(2)
            let name = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return longNames.contains(name)
        }
        guard token.hasPrefix("-"), token.count > 1 else { return false }
        let body = token.dropFirst()
        let name = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if singleDashLongNames.contains(name) { return true }
        // A short option with its value attached (`-p8000`), or grouped short flags (`-vq`).
        guard let first = body.first else { return false }
        if shortNames.contains(first) { return true }
        return body.allSatisfy(\.isLetter) && body.contains { shortNames.contains($0) }
    }
}
