import Foundation
import SwitchyardZMQ

/// CURVE keys on disk, as `switchyard keygen` writes them: Z85 text, one key per file
/// (`public.key`, `secret.key` with mode 0600), and allow-lists with one public key per line.
public enum CurveKeyFiles {
    /// Writes a new key pair into `directory` (created if needed); refuses to overwrite.
    public static func writeNewPair(to directory: URL) throws -> CurveKeyPair {
        let pair = try CurveKeyPair.generate()
        let manager = FileManager.default
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        let secret = directory.appendingPathComponent("secret.key")
        let publicKey = directory.appendingPathComponent("public.key")
        for file in [secret, publicKey] where manager.fileExists(atPath: file.path) {
            throw CurveKeyFileError(path: file.path, reason: "exists already; remove it or choose another --out")
        }
        guard manager.createFile(atPath: secret.path, contents: Data((pair.secretKey.z85 + "\n").utf8),
                                 attributes: [.posixPermissions: 0o600]) else {
            throw CurveKeyFileError(path: secret.path, reason: "cannot be written")
        }
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret.path)
        guard manager.createFile(atPath: publicKey.path, contents: Data((pair.publicKey.z85 + "\n").utf8),
                                 attributes: [.posixPermissions: 0o644]) else {
            throw CurveKeyFileError(path: publicKey.path, reason: "cannot be written")
        }
        return pair
    }

    /// The key pair of a secret-key file (the public half is derived). Like ssh, refuses a file
    /// that group or others may read or write: a copied key often loses its 0600.
    public static func readSecret(_ path: String) throws -> CurveKeyPair {
        try checkPrivate(path)
        let text = try read(path)
        do {
            return try CurveKeyPair(secretKey: CurveKey(z85: text))
        } catch {
            throw CurveKeyFileError(path: path, reason: "is not a CURVE secret key: \(error)")
        }
    }

    /// A public key file.
    public static func readPublic(_ path: String) throws -> CurveKey {
        do {
            return try CurveKey(z85: try read(path))
        } catch let error as CurveKeyFileError {
            throw error
        } catch {
            throw CurveKeyFileError(path: path, reason: "is not a CURVE public key: \(error)")
        }
    }

    /// An allow-list: one Z85 public key per line; blank lines and lines starting with `#` are skipped.
    public static func readAllowList(_ path: String) throws -> [CurveKey] {
        var keys: [CurveKey] = []
        for (number, raw) in try read(path).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Z85 uses `#` too, so only whole lines starting with it are comments.
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                keys.append(try CurveKey(z85: line))
            } catch {
                throw CurveKeyFileError(path: path, reason: "line \(number + 1) is not a CURVE public key: \(error)")
            }
        }
        return keys
    }

    /// Throws when `path` grants any permission to group or others.
    public static func checkPrivate(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CurveKeyFileError(path: path, reason: "cannot be read") }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else {
            throw CurveKeyFileError(path: path, reason: "is a secret key that group or others may access (mode "
                                    + String(mode, radix: 8) + "); refusing it. Run `chmod 600 \(path)` and start again")
        }
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CurveKeyFileError(path: path, reason: "cannot be read")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A key file that is missing or malformed.
public struct CurveKeyFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path) \(reason)" }
}
