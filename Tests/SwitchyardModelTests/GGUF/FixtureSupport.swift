import Foundation
import Testing
@testable import SwitchyardModel

/// Access to the committed fixtures and their expected values.
enum GGUFFixtures {
    static var directory: String {
        Bundle.module.url(forResource: "GGUFFixtures", withExtension: nil)!.path
    }

    static func path(_ name: String) -> String { directory + "/" + name }

    static var tinyPath: String { path("tiny_moe.gguf") }

    /// expected.json, decoded fresh on each call (JSON objects are not Sendable).
    static func expected() -> [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: path("expected.json")))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func tiny() -> [String: Any] { expected()["tiny_moe"] as! [String: Any] }

    static func layout() -> [String: Any] { tiny()["layout"] as! [String: Any] }

    /// Byte offsets of a metadata entry: offset (key length), type_offset, value_offset.
    static func kvLayout(_ key: String) -> [String: Int] {
        (layout()["kv"] as! [String: Any])[key] as! [String: Int]
    }

    /// Byte offsets of a tensor info.
    static func tensorLayout(_ name: String) -> [String: Int] {
        (layout()["tensor_info"] as! [String: Any])[name] as! [String: Int]
    }

    static func tinyBytes() -> [UInt8] {
        [UInt8](try! Data(contentsOf: URL(fileURLWithPath: tinyPath)))
    }

    /// A fresh temporary directory.
    static func tempDirectory() -> String {
        let dir = NSTemporaryDirectory() + "gguf-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes bytes to a new temporary file and returns its path.
    static func write(_ bytes: [UInt8], name: String = "corrupt.gguf") -> String {
        let p = tempDirectory() + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

extension Array where Element == UInt8 {
    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { self[offset + i] = b }
        }
    }
}

extension Sequence where Element == UInt8 {
    var hex: String { map { String(format2: $0) }.joined() }
}

/// Opens `bytes` as a GGUF file and returns the error it raises (or nil).
func openError(_ bytes: [UInt8]) -> (GGUFError?, String) {
    let p = GGUFFixtures.write(bytes)
    defer { try? FileManager.default.removeItem(atPath: (p as NSString).deletingLastPathComponent) }
    do {
        _ = try GGUFFile(path: p)
        return (nil, p)
    } catch let e as GGUFError {
        return (e, p)
    } catch {
        Issue.record("unexpected error type \(error)")
        return (nil, p)
    }
}

/// Expects that opening `bytes` fails with `kind`, and that the message names the file.
@discardableResult
func expectFailure(_ kind: GGUFError.Kind, _ bytes: [UInt8], tensor: String? = nil, key: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) -> GGUFError? {
    let (error, path) = openError(bytes)
    guard let error else {
        Issue.record("expected \(kind) but the file opened", sourceLocation: sourceLocation)
        return nil
    }
    #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    #expect(error.description.contains(path), sourceLocation: sourceLocation)
    if let tensor {
        #expect(error.tensor == tensor, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(tensor), sourceLocation: sourceLocation)
    }
    if let key {
        #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(key), sourceLocation: sourceLocation)
    }
    return error
}
