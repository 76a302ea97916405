/// Inverse of llama.cpp's Q/K row permutation for `llama`-arch models.
///
/// `convert_hf_to_gguf.py` (`LlamaModel.permute`) rewrites the rows of
/// `q_proj` (with n_head) and `k_proj` (with n_head_kv) from HF's "rotate half"
/// layout to ggml's interleaved RoPE layout: within each head of `headDim` rows,
/// HF row `i * headDim/2 + j` (i ∈ {0, 1}) is stored at GGUF row `2 * j + i`.
/// These helpers undo that so GGUF weights can feed an HF-layout (NeoX-style RoPE)
/// implementation.
public enum GGUFQKPermutation {
    /// HF row stored at GGUF row `ggufRow` of a tensor with `rowCount` rows that was
    /// permuted with `heads` heads (n_head for Q, n_head_kv for K).
    public static func hfRow(forGGUFRow ggufRow: Int, rowCount: Int, heads: Int) -> Int {
        let headDim = rowCount / heads
        let half = headDim / 2
        let head = ggufRow / headDim
        let r = ggufRow % headDim
        return head * headDim + (r % 2) * half + r / 2
    }

    /// GGUF row holding HF row `hfRow` (the forward permutation).
    public static func ggufRow(forHFRow hfRow: Int, rowCount: Int, heads: Int) -> Int {
        let headDim = rowCount / heads
        let half = headDim / 2
        let head = hfRow / headDim
        let r = hfRow % headDim
        return head * headDim + (r % half) * 2 + r / half
    }

    /// For every GGUF row, the HF row it holds. Q: `heads = headCount`;
    /// K: `heads = headCountKV`. Requires `rowCount` divisible by `2 * heads`.
    public static func hfRowOrder(rowCount: Int, heads: Int) -> [Int] {
        precondition(heads > 0 && rowCount % (2 * heads) == 0, "rowCount must be a multiple of 2 * heads")
        return (0 ..< rowCount).map { hfRow(forGGUFRow: $0, rowCount: rowCount, heads: heads) }
    }

    /// Heads to use for a tensor: n_head for attn_q, n_head_kv for attn_k
    /// (the converter uses n_head_kv for K whenever it differs from n_head).
    public static func heads(for kind: GGUFHFTensorName.QKKind, headCount: Int, headCountKV: Int) -> Int {
        kind == .query ? headCount : headCountKV
    }
}
