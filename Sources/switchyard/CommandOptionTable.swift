import ArgumentParser
import Foundation

/// The options every command in a tree declares, read from swift-argument-parser's own JSON
/// description of the tree (the `--experimental-dump-help` output), so the table can never
/// disagree with what the parser accepts: a flag added to any command is in it automatically.
struct CommandOptionTable: Sendable, Equatable {
    let name: String
    /// Alternative names of the command (`aliases` in its configuration).
    let aliases: [String]
    let options: [DeclaredOption]
    let subcommands: [CommandOptionTable]

    /// Flags the parser adds itself; an environment variable must not trigger them.
    static let builtInNames: Set<String> = ["help", "version", "experimental-dump-help", "generate-completion-script"]

    /// The table of `command` and every subcommand under it.
    static func of(_ command: ParsableCommand.Type) throws -> CommandOptionTable {
        try CommandOptionTable(dumpHelpJSON: Data(command._dumpHelp().utf8))
    }

    /// Decodes the JSON `--experimental-dump-help` prints (`ToolInfoV0`); only the fields needed here.
    init(dumpHelpJSON: Data) throws {
        let tool = try JSONDecoder().decode(ToolInfo.self, from: dumpHelpJSON)
        self.init(tool.command)
    }

    init(name: String, aliases: [String] = [], options: [DeclaredOption], subcommands: [CommandOptionTable] = []) {
        self.name = name
        self.aliases = aliases
        self.options = options
        self.subcommands = subcommands
    }

    private init(_ command: ToolInfo.Command) {
        name = command.commandName
        aliases = command.aliases ?? []
        options = (command.arguments ?? []).compactMap(Self.declaredOption)
        subcommands = (command.subcommands ?? []).map(CommandOptionTable.init)
    }

    /// The subcommand a word on the command line selects, if any.
    func subcommand(named word: String) -> CommandOptionTable? {
        subcommands.first { $0.name == word || $0.aliases.contains(word) }
    }

    private static func declaredOption(_ argument: ToolInfo.Argument) -> DeclaredOption? {
        let kind: DeclaredOption.Kind
        switch argument.kind {
        case "option": kind = .option
        case "flag": kind = .flag
        default: return nil
        }
        let names = argument.names ?? []
        let long = names.filter { $0.kind == "long" }.map(\.name).filter { !builtInNames.contains($0) }
        let singleDash = names.filter { $0.kind == "longWithSingleDash" }.map(\.name).filter { !builtInNames.contains($0) }
        let short = names.filter { $0.kind == "short" }.compactMap(\.name.first)
        if names.contains(where: { builtInNames.contains($0.name) }) { return nil }
        return DeclaredOption(kind: kind, longNames: long, singleDashLongNames: singleDash, shortNames: short,
                              isRepeating: argument.isRepeating ?? false)
    }
}

/// The subset of swift-argument-parser's `ToolInfoV0` JSON this table reads.
private struct ToolInfo: Decodable {
    struct Name: Decodable {
        let kind: String
        let name: String
    }

    struct Argument: Decodable {
        let kind: String
        let names: [Name]?
        let isRepeating: Bool?
    }

    struct Command: Decodable {
        let commandName: String
        let aliases: [String]?
        let arguments: [Argument]?
        let subcommands: [Command]?
    }

    let command: Command
}
