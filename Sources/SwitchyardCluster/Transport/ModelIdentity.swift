import Foundation
import SwitchyardModel
import SwitchyardWire

/// What router and workers compute from the checkpoint directory to make sure they serve the same
/// model: the fingerprint a worker sends in `Register` (the router refuses a mismatch), and the
/// `ModelLimits` both sides validate messages and size MAXMSGSIZE with.
public enum ModelIdentity {
    /// Largest safetensors JSON header read (the format itself caps headers at 100 MB).
    public static let maxHeaderBytes = 100 << 20

    /// The tokens of one engine step a dispatch may carry when the caller does not say: generous
    /// against `--max-batch-tokens` (default 512) so a larger router setting still fits.
    public static let defaultMaxBatchTokens = 4096

    /// The fingerprint of the checkpoint in `directory`: a SHA-256 over `config.json`, the shard
    /// index (if any) and the JSON header of every `*.safetensors` file (names, dtypes, shapes and
    /// offsets of every tensor), plus the shape fields of `config`. Reads no weight bytes, so it
    /// costs a few file reads however large the model is.
    ///
    /// For a GGUF model (`ModelLocation.isGGUF`) the digest covers the name and the header (metadata and
    /// tensor infos, up to the data section) of each file instead.
    public static func fingerprint(config: ModelConfig, directory: URL) throws -> Switchyard_V1_ModelFingerprint {
        var hasher = SHA256()
        if ModelLocation.isGGUF(directory) {
            let model: GGUFModelFiles
            do { model = try GGUFModelFiles(path: directory.path) } catch {
                throw ModelIdentityError(path: directory.path, reason: String(describing: error))
            }
            for file in model.files {
                hasher.update(Array("\((file.path as NSString).lastPathComponent)\n".utf8))
                hasher.update(Array(UnsafeRawBufferPointer(rebasing: file.mappedBytes[0..<file.dataSectionOffset])))
            }
            return finish(hasher, config: config)
        }
        let configURL = directory.appendingPathComponent("config.json")
        hasher.update(Array("config.json\n".utf8))
        hasher.update(try readAll(configURL))
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: index.path) {
            hasher.update(Array("\nmodel.safetensors.index.json\n".utf8))
            hasher.update(try readAll(index))
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".safetensors") }.sorted()
        } catch {
            throw ModelIdentityError(path: directory.path, reason: "cannot list directory: \(error.localizedDescription)")
        }
        guard !names.isEmpty else {
            throw ModelIdentityError(path: directory.path, reason: "no *.safetensors files")
        }
        for name in names {
            hasher.update(Array("\n\(name)\n".utf8))
            hasher.update(try safetensorsHeader(directory.appendingPathComponent(name)))
        }
        return finish(hasher, config: config)
    }

    private static func finish(_ hasher: SHA256, config: ModelConfig) -> Switchyard_V1_ModelFingerprint {
        var hasher = hasher
        var print = Switchyard_V1_ModelFingerprint()
        print.digest = hasher.finalize().map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        print.modelType = config.family.rawValue
        print.layers = UInt32(config.numLayers)
        print.expertsPerLayer = UInt32(expertsPerLayer(config))
        print.hiddenSize = UInt32(config.hiddenSize)
        return print
    }

    /// Most FFN expert slots of any layer (routed + shared; 1 for dense layers): expert ids on the
    /// wire are `0..<expertsPerLayer`.
    public static func expertsPerLayer(_ config: ModelConfig) -> Int {
        (0..<config.numLayers).map { config.ffnExperts(layer: $0) }.max() ?? 1
    }

    /// The message limits of `config`: a dispatch carries at most `maxBatchTokens` tokens times the
    /// experts one token reaches in a layer (top-k plus the shared expert; 1 for dense layers).
    /// With experts cut into slices, ids on the wire are units (`ExpertSlicing`) and a token reaches
    /// each slice of its experts.
    public static func limits(config: ModelConfig, maxBatchTokens: Int = defaultMaxBatchTokens,
                              expertSlicing: ExpertSlicing = .whole) throws(ModelLimitsError) -> ModelLimits {
        let perToken = max(1, config.topK + (config.hasSharedExpert ? 1 : 0)) * expertSlicing.count
        return try ModelLimits(layers: config.numLayers, expertsPerLayer: expertsPerLayer(config) * expertSlicing.count,
                               hiddenSize: config.hiddenSize, maxRows: max(1, maxBatchTokens) * perToken)
    }

    private static func readAll(_ url: URL) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelIdentityError(path: url.path, reason: "cannot read file")
        }
        return [UInt8](data)
    }

    /// The 8-byte length prefix and JSON header of a safetensors file, without its tensor data.
    private static func safetensorsHeader(_ url: URL) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw ModelIdentityError(path: url.path, reason: "cannot open file")
        }
        defer { try? handle.close() }
        let prefix = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
        guard prefix.count == 8 else {
            throw ModelIdentityError(path: url.path, reason: "shorter than the 8-byte safetensors header length")
        }
        let length = prefix.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(maxHeaderBytes) else {
            throw ModelIdentityError(path: url.path, reason: "safetensors header length \(length) exceeds \(maxHeaderBytes)")
        }
        let header = [UInt8]((try? handle.read(upToCount: Int(length))) ?? Data())
        guard header.count == Int(length) else {
            throw ModelIdentityError(path: url.path, reason: "truncated safetensors header (\(header.count) of \(length) bytes)")
        }
        return prefix + header
    }
}

/// A checkpoint file that cannot be fingerprinted.
public struct ModelIdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot fingerprint model: \(path): \(reason)" }
}

/// SHA-256 (FIPS 180-4), enough for fingerprints of a few megabytes of headers.
struct SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0

    mutating func update(_ bytes: [UInt8]) {
        length &+= UInt64(bytes.count)
        buffer.append(contentsOf: bytes)
        var offset = 0
        while buffer.count - offset >= 64 {
            compress(buffer[offset..<offset + 64])
            offset += 64
        }
        buffer.removeFirst(offset)
    }

    mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        while (buffer.count + tail.count) % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        let saved = length
        update(tail)
        length = saved
        return state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }

    private mutating func compress(_ block: ArraySlice<UInt8>) {
        var w = [UInt32](repeating: 0, count: 64)
        let start = block.startIndex
        for i in 0..<16 {
            w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(block[start + 4 * i + $1]) }
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
        for i in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let choose = (e & f) ^ (~e & g)
            let t1 = h &+ s1 &+ choose &+ Self.k[i] &+ w[i]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ majority
            (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
        state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
    }

    private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
}
