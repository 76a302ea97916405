import ArgumentParser
import CKernels
import Foundation
import SwitchyardServing
import SwitchyardTensor

/// The one Switchyard executable: every daemon and tool is a subcommand.
@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Serve Mixture-of-Experts language models across machines.",
        discussion: """
        Every --flag of every command can also come from the environment variable \
        SWITCHYARD_<FLAG> (upper case, - as _): --allowed-workers is SWITCHYARD_ALLOWED_WORKERS. \
        The command line wins; empty values count as unset; boolean flags take 1/true/yes or 0/false/no.
        """,
        version: SwitchyardVersion.current,
        subcommands: [
            VersionCommand.self,
            DoctorCommand.self,
            ServeCommand.self,
            RouterCommand.self,
            WorkerCommand.self,
            UpCommand.self,
            InitModelCommand.self,
            UpcycleCommand.self,
            GenerateCommand.self,
            TokenizeCommand.self,
            PerfCommand.self,
            PerplexityCommand.self,
            BenchCommand.self,
            KeygenCommand.self,
            StatusCommand.self,
        ]
    )

    /// Parses the command line with `SWITCHYARD_*` environment variables filling in the options
    /// it leaves out (``EnvironmentArguments``), then runs the selected command.
    static func main() async {
        BLAS.stopPollingThreads()  // its start-up threads would poll a core away from loading
        _ = sy_malloc_keep_freed_memory()  // daemons reuse their per-step buffers (see MallocTuning.c)
        let arguments = Array(CommandLine.arguments.dropFirst())
        let merge: EnvironmentMerge
        do {
            merge = try mergeEnvironment(into: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("Error: \(error)")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try await asyncParseAsRoot(merge.arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let notes = merge.notes(about: fullMessage(for: error))
            guard !notes.isEmpty else { exit(withError: error) }
            printError(fullMessage(for: error))
            notes.forEach(printError)
            Foundation.exit(exitCode(for: error).rawValue)
        }
    }

    /// `arguments` with the options the environment supplies; unchanged without `SWITCHYARD_*` variables.
    static func mergeEnvironment(into arguments: [String], environment: [String: String]) throws -> EnvironmentMerge {
        guard environment.keys.contains(where: { $0.hasPrefix(DeclaredOption.environmentPrefix) }) else {
            return EnvironmentMerge(arguments: arguments, sources: [])
        }
        return try EnvironmentArguments.merge(arguments: arguments, environment: environment, commands: try CommandOptionTable.of(Switchyard.self))
    }
}

/// The release version of this build.
