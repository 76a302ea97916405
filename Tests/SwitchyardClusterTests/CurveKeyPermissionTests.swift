import Foundation
import Testing
@testable import SwitchyardCluster

/// A CURVE secret key that group or others may read is refused, as ssh refuses such a key.
@Suite("CURVE secret key permissions")
struct CurveKeyPermissionTests {
    func freshPair() throws -> (directory: URL, secret: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swyd-keyperm-\(UUID().uuidString)")
        _ = try CurveKeyFiles.writeNewPair(to: directory)
        return (directory, directory.appendingPathComponent("secret.key").path)
    }

    @Test("a 0600 secret key is read")
    func privateKeyIsRead() throws {
        let (directory, secret) = try freshPair()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try CurveKeyFiles.readSecret(secret)
    }

    @Test("a world- or group-readable secret key is refused with the file and the chmod", arguments: [0o644, 0o640, 0o604, 0o660])
    func readableKeyIsRefused(mode: Int) throws {
        let (directory, secret) = try freshPair()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: secret)
        let error = try #require(throws: CurveKeyFileError.self) { try CurveKeyFiles.readSecret(secret) }
        #expect(error.description.contains(secret))
        #expect(error.description.contains("chmod 600 \(secret)"))
        #expect(error.description.contains(String(mode, radix: 8)))
    }
}
