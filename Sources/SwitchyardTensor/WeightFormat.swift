import CKernels

/// How a weight's values are stored: f32, bf16, or one of ggml's block formats (byte-for-byte as
/// in GGUF files: `ggml-common.h`'s `block_q8_0`, `block_q4_K`, ...).
public enum WeightFormat: String, CaseIterable, Codable, Sendable {
    case f32, bf16, q8_0, q4_0, q4_1, q4_K, q5_K, q6_K
    /// OCP MXFP4 (ggml's `block_mxfp4`, 4.25 bits per value): how gpt-oss ships its experts.
    case mxfp4

    /// The ggml type id (`GGML_TYPE_*`, as in a GGUF tensor header).
    public var ggmlType: Int {
        switch self {
        case .f32: Int(SY_QF_F32)
        case .bf16: Int(SY_QF_BF16)
        case .q8_0: Int(SY_QF_Q8_0)
        case .q4_0: Int(SY_QF_Q4_0)
        case .q4_1: Int(SY_QF_Q4_1)
        case .q4_K: Int(SY_QF_Q4_K)
        case .q5_K: Int(SY_QF_Q5_K)
        case .q6_K: Int(SY_QF_Q6_K)
        case .mxfp4: Int(SY_QF_MXFP4)
        }
    }

    /// The format of a ggml type id, if it is one of these.
    public init?(ggmlType: Int) {
        guard let format = Self.allCases.first(where: { $0.ggmlType == ggmlType }) else { return nil }
        self = format
    }

    /// Values per block: 1 (f32, bf16), 32 (q8_0, q4_0, q4_1, mxfp4) or 256 (the K-quants). A row's
    /// length must be a multiple of it.
    public var blockSize: Int { Int(sy_qf_block_size(Int32(ggmlType))) }

    /// Bytes per block.
    public var bytesPerBlock: Int { Int(sy_qf_block_bytes(Int32(ggmlType))) }

    /// Bytes of a row of `cols` values (`cols` a multiple of `blockSize`).
    public func rowBytes(cols: Int) -> Int { cols / blockSize * bytesPerBlock }

    /// Bits per value, for reports.
    public var bitsPerValue: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

    /// Quantizes `cols` floats into one row (`rowBytes(cols:)` bytes). q8_0, q4_0 and q4_1 give
    /// exactly ggml's `quantize_row_*_ref` bytes; the K-quants a valid block from a simpler search.
    public func quantize(row: UnsafePointer<Float>, cols: Int, into destination: UnsafeMutableRawPointer) {
        sy_qf_quantize_row(Int32(ggmlType), row, destination, cols)
    }

    /// Expands one row of `cols` values to floats (exact).
    public func dequantize(row: UnsafeRawPointer, cols: Int, into destination: UnsafeMutablePointer<Float>) {
        sy_qf_dequantize_row(Int32(ggmlType), row, destination, cols)
    }
}

/// Which kernels the block-format products use.
public enum KernelPath: Int, Comparable, CaseIterable, Sendable {
    case portable = 0, avx2 = 1, avx512 = 2

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The path in use: the best the CPU supports, lowered by `SWITCHYARD_KERNEL_ISA` or `force`.
    public static var active: KernelPath { KernelPath(rawValue: Int(sy_qf_isa())) ?? .portable }

    /// The best path this CPU and build support.
    public static var supported: KernelPath { KernelPath(rawValue: Int(sy_qf_isa_supported())) ?? .portable }

    /// True when bf16 products use `vdpbf16ps` on bf16-rounded activations: the avx512 path,
    /// unless `SWITCHYARD_BF16_DOT=0`; otherwise they run the avx2 kernel on f32 activations.
    public static var bf16DotProduct: Bool { sy_qf_bf16_dot() != 0 }

    /// Every path this machine can run, lowest first.
    public static var available: [KernelPath] { allCases.filter { $0 <= supported } }

    /// Uses `path` (or the best supported below it) from now on; returns the path in use. Not
    /// while products run.
    @discardableResult
    public static func force(_ path: KernelPath) -> KernelPath {
        KernelPath(rawValue: Int(sy_qf_set_isa(Int32(path.rawValue)))) ?? .portable
    }

    /// "portable", "avx2", "avx512".
    public var name: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

/// bf16 and IEEE half conversions (round to nearest even; bf16 turns every NaN into 0x7FC0 as torch).
public enum FloatConversion {
    public static func bf16(_ x: Float) -> UInt16 { sy_f32_to_bf16(x) }
    public static func float(bf16 h: UInt16) -> Float { sy_bf16_to_f32(h) }
    public static func f16(_ x: Float) -> UInt16 { sy_f32_to_f16(x) }
    public static func float(f16 h: UInt16) -> Float { sy_f16_to_f32(h) }
}

/// ggml block formats read from files and expanded to f32 at load (no quantizer, no product):
/// llama-quantize's fallbacks for rows that are not whole K-quant superblocks, e.g. DeepSeek's
/// `attn_k_b` in a Q4_K_M file is q5_0.
public enum ExpandedBlockFormat: Int, CaseIterable, Sendable {
    case q5_0 = 6, q5_1 = 7

    /// Values per block (32).
    public var blockSize: Int { Int(sy_qf_expand_block_size(Int32(rawValue))) }
    /// Bytes per block (22, 24).
    public var bytesPerBlock: Int { Int(sy_qf_expand_block_bytes(Int32(rawValue))) }

    /// Expands one row of `cols` values (a multiple of 32) to floats, exactly as ggml's
    /// `dequantize_row_q5_*`.
    public func dequantize(row: UnsafeRawPointer, cols: Int, into destination: UnsafeMutablePointer<Float>) {
        _ = sy_qf_expand_row(Int32(rawValue), row, destination, cols)
    }

    /// The format this one is kept in under `--dtype auto`: q5_0 as q8_0, which holds it exactly
    /// (same scale, values q - 16); q5_1's offset has no exact block form here, so f32.
    public var keptAs: WeightFormat { self == .q5_0 ? .q8_0 : .f32 }

    /// One q5_0 row of `cols` values rewritten as q8_0 blocks (`WeightFormat.q8_0.rowBytes(cols:)` bytes).
    public static func q5_0AsQ8_0(row: UnsafeRawPointer, cols: Int, into destination: UnsafeMutableRawPointer) {
        sy_qf_q5_0_to_q8_0_row(row, destination, cols)
    }
}
