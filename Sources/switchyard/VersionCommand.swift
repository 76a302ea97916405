import ArgumentParser
import SwitchyardTensor
import SwitchyardServing
import SwitchyardZMQ

/// `switchyard version`: this build's version and the libraries it runs on.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the Switchyard version."
    )

    func run() throws {
        print("switchyard \(SwitchyardVersion.current) (libzmq \(ZMQLibrary.versionString))")
    }
}
