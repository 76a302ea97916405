import ArgumentParser
import Foundation
import Testing
@testable import switchyard

/// Precedence, values and errors of `SWITCHYARD_*` variables, on the real command tree and on
/// small hand-built tables for the shapes no command uses yet.
@Suite("Flags from the environment", .serialized)
struct EnvironmentArgumentsTests {
    let table: CommandOptionTable

    init() throws {
        table = try CommandOptionTable.of(Switchyard.self)
    }

    func parse<Command: ParsableCommand>(_ arguments: [String], _ environment: [String: String], as type: Command.Type) throws -> Command {
        let merged = try EnvironmentArguments.merge(arguments: arguments, environment: environment, commands: table)
        return try #require(try Switchyard.parseAsRoot(merged.arguments) as? Command)
    }

    @Test func environmentFillsOptionsTheCommandLineLeavesOut() throws {
        let serve = try parse(["serve"], ["SWITCHYARD_MODEL": "/m", "SWITCHYARD_PORT": "9001", "SWITCHYARD_MAX_NUM_SEQS": "8"], as: ServeCommand.self)
        #expect(serve.model == "/m")
        #expect(serve.serving.port == 9001)
        #expect(serve.serving.maxNumSeqs == 8)
    }

    @Test func commandLineWinsOverEnvironment() throws {
        let environment = ["SWITCHYARD_MODEL": "/env", "SWITCHYARD_PORT": "9001"]
        let spaced = try parse(["serve", "--port", "9002"], environment, as: ServeCommand.self)
        #expect(spaced.serving.port == 9002)
        #expect(spaced.model == "/env")
        let joined = try parse(["serve", "--port=9003", "--model", "/cli"], environment, as: ServeCommand.self)
        #expect(joined.serving.port == 9003)
        #expect(joined.model == "/cli")
    }

    @Test func aWholeWorkerFromTheEnvironment() throws {
        let model = FileManager.default.temporaryDirectory.path
        let worker = try parse(["worker"], [
            "SWITCHYARD_ROUTER": "tcp://10.0.0.1:5555", "SWITCHYARD_MODEL": model, "SWITCHYARD_ID": "worker-3",
            "SWITCHYARD_EXPERTS": "0-3,7", "SWITCHYARD_THREADS": "2", "SWITCHYARD_HEARTBEAT_MS": "750",
            "SWITCHYARD_CURVE_SECRET_KEY": "/k/secret.key", "SWITCHYARD_ROUTER_PUBLIC_KEY": "/k/router.key",
        ], as: WorkerCommand.self)
        #expect(worker.router == "tcp://10.0.0.1:5555")
        #expect(worker.model == model)
        #expect(worker.id == "worker-3")
        #expect(worker.experts == "0-3,7")
        #expect(worker.threads == 2)
        #expect(worker.heartbeatMs == 750)
        #expect(worker.curveSecretKey == "/k/secret.key")
        #expect(worker.routerPublicKey == "/k/router.key")
    }

    @Test func variablesOfOtherCommandsAndEmptyValuesAreIgnored() throws {
        // SWITCHYARD_ROUTER is the worker's; the router has no --router. SWITCHYARD_LOG_LEVEL is no flag.
        let environment = ["SWITCHYARD_ROUTER": "tcp://x:1", "SWITCHYARD_LOG_LEVEL": "debug", "SWITCHYARD_LISTEN": "", "SWITCHYARD_MODEL": "/m"]
        let merged = try EnvironmentArguments.merge(arguments: ["router"], environment: environment, commands: table)
        #expect(merged.arguments == ["router", "--model=/m"])
        let router = try parse(["router"], environment, as: RouterCommand.self)
        #expect(router.listen == nil)
    }

    @Test(arguments: [("1", true), ("true", true), ("YES", true), ("yes", true), ("0", false), ("false", false), ("No", false)])
    func booleanFlags(value: String, enabled: Bool) throws {
        let perf = try parse(["perf", "--synthetic"], ["SWITCHYARD_JSON": value], as: PerfCommand.self)
        #expect(perf.json == enabled)
    }

    @Test func aBadBooleanNamesTheVariable() {
        #expect(throws: EnvironmentArgumentError(variable: "SWITCHYARD_JSON", value: "maybe", expected: "1/true/yes or 0/false/no")) {
            try EnvironmentArguments.merge(arguments: ["perf"], environment: ["SWITCHYARD_JSON": "maybe"], commands: table)
        }
        let error = EnvironmentArgumentError(variable: "SWITCHYARD_JSON", value: "maybe", expected: "1/true/yes or 0/false/no")
        #expect(error.description.contains("SWITCHYARD_JSON"))
    }

    @Test func aBadValueErrorPointsAtTheVariable() throws {
        let merged = try EnvironmentArguments.merge(arguments: ["serve"], environment: ["SWITCHYARD_PORT": "abc", "SWITCHYARD_MODEL": "/m"], commands: table)
        var message = ""
        do {
            _ = try Switchyard.parseAsRoot(merged.arguments)
            Issue.record("port abc parsed")
        } catch {
            message = Switchyard.message(for: error)
        }
        #expect(message.contains("--port"))
        #expect(merged.notes(about: message) == ["Note: --port was set from the environment variable SWITCHYARD_PORT."])
        // A longer option name that starts with --port is a different option.
        #expect(merged.notes(about: "bad --port-range") == [])
    }

    @Test func anAPIKeyFileOnTheCommandLineBeatsTheKeyFromTheEnvironment() throws {
        let serve = try parse(["serve", "--model", "/m", "--api-key-file", "/k"], ["SWITCHYARD_API_KEY": "from-env"], as: ServeCommand.self)
        #expect(serve.serving.apiKey == nil)
        #expect(serve.serving.apiKeyFile == "/k")
        let fromEnvironment = try parse(["serve", "--model", "/m"], ["SWITCHYARD_API_KEY": "from-env"], as: ServeCommand.self)
        #expect(try fromEnvironment.serving.resolvedAPIKey() == "from-env")
    }

    @Test func valuesGoBeforeTheTerminatorAndNeverMixWithUserArguments() throws {
        let model = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-env-test-\(getpid())")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: model) }
        FileManager.default.createFile(atPath: model.appendingPathComponent("config.json").path, contents: Data("{}".utf8))
        let up = try parse(["up", "--model", model.path, "--", "--max-num-seqs", "4"], ["SWITCHYARD_WORKERS": "3", "SWITCHYARD_MAX_NUM_SEQS": "9"], as: UpCommand.self)
        #expect(up.workers == 3)
        #expect(up.routerFlags == ["--max-num-seqs", "4"])
        // A value starting with a dash stays a value.
        let generate = try parse(["generate", "--model", "/m", "--prompt-ids", "1"], ["SWITCHYARD_TEMPERATURE": "-0.5"], as: GenerateCommand.self)
        #expect(generate.temperature == -0.5)
    }

    @Test func repeatableOptionsTakeWhitespaceSeparatedValues() throws {
        let bench = try parse(["bench", "--url", "http://127.0.0.1:1"], ["SWITCHYARD_GOODPUT": "ttft:500  tpot:50"], as: BenchCommand.self)
        #expect(bench.goodput == ["ttft:500", "tpot:50"])
    }

    @Test func noVariablesLeaveTheCommandLineAlone() throws {
        let arguments = ["router", "--model", "/m"]
        #expect(try Switchyard.mergeEnvironment(into: arguments, environment: ["PATH": "/bin"]).arguments == arguments)
        #expect(try Switchyard.mergeEnvironment(into: ["--help"], environment: ["SWITCHYARD_VERSION": "1", "SWITCHYARD_HELP": "1"]).arguments == ["--help"])
    }

    // Shapes no command has today: inversion pairs, counted flags, short names, aliases.

    static let synthetic = CommandOptionTable(name: "tool", options: [], subcommands: [
        CommandOptionTable(name: "run", aliases: ["r"], options: [
            DeclaredOption(kind: .flag, longNames: ["color", "no-color"], singleDashLongNames: [], shortNames: [], isRepeating: false),
            DeclaredOption(kind: .flag, longNames: ["verbose"], singleDashLongNames: [], shortNames: ["v"], isRepeating: true),
            DeclaredOption(kind: .option, longNames: ["port"], singleDashLongNames: [], shortNames: ["p"], isRepeating: false),
            DeclaredOption(kind: .option, longNames: [], singleDashLongNames: ["depth"], shortNames: [], isRepeating: false),
        ]),
    ])

    func mergeSynthetic(_ arguments: [String], _ environment: [String: String]) throws -> [String] {
        try EnvironmentArguments.merge(arguments: arguments, environment: environment, commands: Self.synthetic).arguments
    }

    @Test func inversionPairsShareOneVariable() throws {
        #expect(try mergeSynthetic(["run"], ["SWITCHYARD_COLOR": "no"]) == ["run", "--no-color"])
        #expect(try mergeSynthetic(["run"], ["SWITCHYARD_COLOR": "yes"]) == ["run", "--color"])
        #expect(try mergeSynthetic(["run", "--no-color"], ["SWITCHYARD_COLOR": "yes"]) == ["run", "--no-color"])
    }

    @Test func countedFlagsTakeACount() throws {
        #expect(try mergeSynthetic(["r"], ["SWITCHYARD_VERBOSE": "3"]) == ["r", "--verbose", "--verbose", "--verbose"])
        #expect(try mergeSynthetic(["r"], ["SWITCHYARD_VERBOSE": "true"]) == ["r", "--verbose"])
        #expect(throws: EnvironmentArgumentError.self) { try mergeSynthetic(["r"], ["SWITCHYARD_VERBOSE": "lots"]) }
    }

    @Test func shortAndSingleDashNamesOnTheCommandLineWin() throws {
        #expect(try mergeSynthetic(["run", "-p", "1"], ["SWITCHYARD_PORT": "2"]) == ["run", "-p", "1"])
        #expect(try mergeSynthetic(["run", "-p1"], ["SWITCHYARD_PORT": "2"]) == ["run", "-p1"])
        #expect(try mergeSynthetic(["run", "-vv"], ["SWITCHYARD_VERBOSE": "1"]) == ["run", "-vv"])
        #expect(try mergeSynthetic(["run"], ["SWITCHYARD_DEPTH": "4"]) == ["run", "-depth=4"])
        #expect(try mergeSynthetic(["run", "-depth", "5"], ["SWITCHYARD_DEPTH": "4"]) == ["run", "-depth", "5"])
        // A word after `--` is not an option given.
        #expect(try mergeSynthetic(["run", "--", "--port"], ["SWITCHYARD_PORT": "2"]) == ["run", "--port=2", "--", "--port"])
    }
}
