import Foundation

/// The CPU features that matter to the kernels, as the kernel reports them (`/proc/cpuinfo` flags).
public enum CPUFeatures {
    /// Flags the kernels could use, in this order when present.
    public static let relevant = ["sse4_2", "avx", "f16c", "fma", "avx2", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
                                  "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve"]

    /// The relevant flags of the first CPU listed (empty where `/proc/cpuinfo` is unreadable).
    public static var present: [String] {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        let line = text.split(separator: "\n").first { $0.hasPrefix("flags") || $0.hasPrefix("Features") }
        let flags = Set((line?.split(separator: ":").last ?? "").split(separator: " ").map(String.init))
        return relevant.filter(flags.contains)
    }

    /// The CPU model name, if the kernel gives one.
    public static var modelName: String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) else { return nil }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
