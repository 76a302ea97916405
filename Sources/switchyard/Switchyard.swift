import ArgumentParser

/// The one Switchyard executable: every daemon and tool is a subcommand.
@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Serve Mixture-of-Experts language models across machines.",
        version: SwitchyardVersion.current,
        subcommands: [
            VersionCommand.self,
            DoctorCommand.self,
            ServeCommand.self,
            RouterCommand.self,
            WorkerCommand.self,
            UpCommand.self,
            InitModelCommand.self,
            GenerateCommand.self,
            TokenizeCommand.self,
            PerfCommand.self,
            BenchCommand.self,
            KeygenCommand.self,
        ]
    )
}

/// The release version of this build.
enum SwitchyardVersion {
    static let current = "0.1.0"
}
