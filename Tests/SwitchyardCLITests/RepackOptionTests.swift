import ArgumentParser
import Testing
import SwitchyardTensor
@testable import switchyard

/// `--repack auto|on|off` (and `SWITCHYARD_REPACK`) on the commands that load weights.
@Suite("--repack")
struct RepackOptionTests {
    @Test func aBadValueIsAClearError() throws {
        var message = ""
        do {
            _ = try Switchyard.parseAsRoot(["perf", "--synthetic", "--repack", "sideways"])
            Issue.record("--repack sideways parsed")
        } catch {
            message = Switchyard.message(for: error)
        }
        #expect(message.contains("--repack"), "\(message)")
        #expect(message.contains("sideways"), "\(message)")
    }

    @Test func theVariableSetsItAndUpPassesItOn() throws {
        let table = try CommandOptionTable.of(Switchyard.self)
        for command in ["generate", "perf", "perplexity", "serve", "router", "worker", "up"] {
            let merged = try EnvironmentArguments.merge(arguments: [command], environment: ["SWITCHYARD_REPACK": "off"], commands: table)
            #expect(merged.arguments.contains("--repack=off"), "\(command)")
        }
        #expect(try WeightDTypeOptions.parse(["--repack", "on"]).arguments.suffix(2) == ["--repack", "on"])
        #expect(try WeightDTypeOptions.parse([]).repack == .auto)
    }

    /// `auto` is the command's default (off for `generate`, on elsewhere); on and off win over it.
    /// In a child process: the setting is process-wide.
    @Test func applyingTheChoice() async {
        await #expect(processExitsWith: .success) {
            let auto = try WeightDTypeOptions.parse([])
            auto.applyRepack(automatic: false)
            #expect(!BlockWeight.repacksRows)
            auto.applyRepack(automatic: true)
            #expect(BlockWeight.repacksRows)
            try WeightDTypeOptions.parse(["--repack", "off"]).applyRepack(automatic: true)
            #expect(!BlockWeight.repacksRows)
            try WeightDTypeOptions.parse(["--repack", "on"]).applyRepack(automatic: false)
            #expect(BlockWeight.repacksRows)
        }
    }
}
