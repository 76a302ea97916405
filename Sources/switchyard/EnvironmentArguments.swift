import Foundation

/// Fills in command-line options from `SWITCHYARD_*` environment variables, before
/// swift-argument-parser parses: `SWITCHYARD_ALLOWED_WORKERS=/k/allowed switchyard router ...`
/// is `switchyard router --allowed-workers=/k/allowed ...`.
///
/// Rules (the README's CLI section states them for users):
/// * Every option and flag of the selected command answers to `SWITCHYARD_<LONG_NAME>` (upper case,
///   `-` as `_`). Variables no option of that command declares are ignored, so one environment can
///   serve several commands.
/// * The command line wins: an option given there (under any of its names, or an alternative of it
///   from ``alternatives``) takes nothing from the environment.
/// * An empty value counts as unset (what `KEY=` in compose and Kubernetes files means).
/// * Flags take `1`/`true`/`yes` or `0`/`false`/`no` (any case); a counted flag also takes a count.
///   Anything else is an ``EnvironmentArgumentError`` naming the variable.
/// * A repeatable option takes several values separated by whitespace.
/// * The values go right after the subcommand words, spelled `--name=value`, so they never
///   swallow or get swallowed by the user's arguments and stay before a `--` terminator.
enum EnvironmentArguments {
    /// Options that set the same thing: giving one on the command line overrides the environment
    /// for all of them (`--api-key-file` given must not lose to `SWITCHYARD_API_KEY`).
    static let alternatives: [Set<String>] = [["api-key", "api-key-file"]]

    /// The arguments to parse: `arguments` (without the program name) with the environment's
    /// options inserted after the subcommand path.
    static func merge(arguments: [String], environment: [String: String], commands root: CommandOptionTable) throws -> EnvironmentMerge {
        // The subcommand path: leading words that name subcommands.
        var command = root
        var pathLength = 0
        while pathLength < arguments.count, let next = command.subcommand(named: arguments[pathLength]) {
            command = next
            pathLength += 1
        }
        let userTokens = arguments[pathLength...].prefix { $0 != "--" }
        let givenNames = Set(command.options.filter { option in userTokens.contains(where: option.isNamed(by:)) }
            .flatMap { $0.longNames + $0.singleDashLongNames })
        let overridden = givenNames.union(alternatives.filter { !$0.isDisjoint(with: givenNames) }.flatMap { $0 })

        var inserted: [String] = []
        var sources: [EnvironmentMerge.Source] = []
        for option in command.options {
            let names = option.longNames + option.singleDashLongNames
            guard overridden.isDisjoint(with: names) else { continue }
            for (variable, name) in option.environmentNames {
                guard let value = environment[variable], !value.isEmpty else { continue }
                let tokens = try self.tokens(for: option, name: name, variable: variable, value: value)
                guard !tokens.isEmpty else { continue }
                inserted += tokens
                sources.append(.init(variable: variable, spelling: option.spelling(of: name)))
            }
        }
        let merged = Array(arguments[..<pathLength]) + inserted + Array(arguments[pathLength...])
        return EnvironmentMerge(arguments: merged, sources: sources)
    }

    /// The argv words for one variable's value.
    static func tokens(for option: DeclaredOption, name: String, variable: String, value: String) throws -> [String] {
        let spelling = option.spelling(of: name)
        switch option.kind {
        case .option:
            let values = option.isRepeating ? value.split(whereSeparator: \.isWhitespace).map(String.init) : [value]
            return values.map { spelling + "=" + $0 }
        case .flag:
            if option.isRepeating, let count = Int(value), count >= 0 {
                return Array(repeating: spelling, count: count)
            }
            guard let enabled = parseBoolean(value) else {
                throw EnvironmentArgumentError(variable: variable, value: value,
                                               expected: option.isRepeating ? "1/true/yes, 0/false/no or a count" : "1/true/yes or 0/false/no")
            }
            if enabled { return [spelling] }
            // `SWITCHYARD_X=false` for an inversion pair `--x`/`--no-x` turns it off explicitly.
            let names = option.longNames + option.singleDashLongNames
            if names.contains("no-" + name) { return [option.spelling(of: "no-" + name)] }
            return []
        }
    }

    /// `1`, `true`, `yes` / `0`, `false`, `no`, in any case; nil for anything else.
    static func parseBoolean(_ value: String) -> Bool? {
        switch value.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "yes": true
        case "0", "false", "no": false
        default: nil
        }
    }
}
