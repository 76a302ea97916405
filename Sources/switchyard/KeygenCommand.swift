import ArgumentParser
import Foundation
import SwitchyardCluster

/// `switchyard keygen`: a CURVE key pair for a router or a worker.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a CURVE key pair (Z85 text: public.key, and secret.key with mode 0600)."
    )

    @Option(help: "Directory for public.key and secret.key.")
    var out: String

    func run() throws {
        do {
            let pair = try CurveKeyFiles.writeNewPair(to: URL(fileURLWithPath: out))
            print(pair.publicKey.z85)
        } catch {
            printError("keygen: \(error)")
            throw ExitCode(1)
        }
    }
}
