import ArgumentParser
import Testing
@testable import switchyard

/// Every option of every command is reachable through its `SWITCHYARD_*` variable. The commands
/// and their options are enumerated from the help screens (an independent view of the parser), so
/// a new flag on any command, or a new command, is covered without touching this test.
@Suite("Every flag has an environment variable", .serialized)
struct EnvironmentCoverageTests {
    /// An option as its help screen line shows it: `  --max-batch-tokens <max-batch-tokens>  ...`.
    struct HelpOption: CustomStringConvertible {
        let path: [String]
        let name: String
        let takesValue: Bool
        var description: String { (path + ["--" + name]).joined(separator: " ") }
    }

    /// Every command path under the root, from the command types' configurations.
    static func commandPaths(_ command: ParsableCommand.Type = Switchyard.self, prefix: [String] = []) -> [([String], ParsableCommand.Type)] {
        command.configuration.subcommands.flatMap { sub -> [([String], ParsableCommand.Type)] in
            let path = prefix + [sub._commandName]
            return [(path, sub)] + commandPaths(sub, prefix: path)
        }
    }

    /// The options listed on a command's full help screen (hidden ones too, no line wrapping).
    static func helpOptions(path: [String], command: ParsableCommand.Type) -> [HelpOption] {
        let help = Switchyard.helpMessage(for: command, includeHidden: true, columns: 10_000)
        return help.split(separator: "\n").compactMap { line -> HelpOption? in
            guard line.hasPrefix("  -") else { return nil }
            let head = line.dropFirst(2).components(separatedBy: "  ").first ?? ""
            guard let long = head.split(whereSeparator: { $0 == " " || $0 == "," }).first(where: { $0.hasPrefix("--") }) else { return nil }
            let name = String(long.dropFirst(2))
            // The parser's own -h/--help, and the --version it adds to every command from the
            // root's configuration, must not be triggered by a variable.
            guard name != "help", name != "version" else { return nil }
            return HelpOption(path: path, name: name, takesValue: head.contains("<"))
        }
    }

    static let allOptions: [HelpOption] = commandPaths().flatMap { helpOptions(path: $0.0, command: $0.1) }

    /// The merge's table, built once for all the cases below.
    static let table = Result { try CommandOptionTable.of(Switchyard.self) }

    @Test func helpScreensListTheOptionsWeExpect() {
        // A guard against the help parsing finding nothing (which would make the tests below vacuous).
        let names = Set(Self.allOptions.map(\.description))
        for expected in ["router --allowed-workers", "router --max-batch-tokens", "worker --router", "worker --curve-secret-key",
                         "serve --api-key", "up --workers", "bench --quiet", "bench --goodput", "perf --json", "keygen --out"] {
            #expect(names.contains(expected), "\(expected) missing from the help screens")
        }
        #expect(Self.allOptions.count > 80)
    }

    @Test(arguments: allOptions)
    func optionIsReachableThroughItsVariable(_ option: HelpOption) throws {
        let table = try Self.table.get()
        let variable = DeclaredOption.environmentVariable(for: option.name)
        let value = option.takesValue ? "7" : "yes"
        let merged = try EnvironmentArguments.merge(arguments: option.path, environment: [variable: value], commands: table)
        let expected = option.path + [option.takesValue ? "--\(option.name)=7" : "--\(option.name)"]
        #expect(merged.arguments == expected, "\(variable) does not reach \(option)")
        #expect(merged.sources == [.init(variable: variable, spelling: "--" + option.name)])

        // The parser knows the merged option (other required options may still be missing, and
        // 7 may be out of range; neither is what this checks).
        do {
            _ = try Switchyard.parseAsRoot(merged.arguments)
        } catch {
            let message = Switchyard.message(for: error)
            #expect(!message.contains("Unknown option"), "\(message)")
            #expect(!message.contains("Unexpected argument"), "\(message)")
        }
    }

    @Test func tableAndHelpScreensAgreeOnEveryCommand() throws {
        let table = try Self.table.get()
        for (path, command) in Self.commandPaths() {
            var node = table
            for word in path { node = try #require(node.subcommand(named: word), "\(path) not in the table") }
            let fromTable = Set(node.options.flatMap { $0.environmentNames.map(\.variable) })
            let fromHelp = Set(Self.helpOptions(path: path, command: command).map { DeclaredOption.environmentVariable(for: $0.name) })
            #expect(fromTable == fromHelp, "\(path.joined(separator: " "))")
        }
    }
}
