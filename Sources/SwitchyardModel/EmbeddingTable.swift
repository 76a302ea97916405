import SwitchyardTensor

/// The token embedding table `[vocab, hidden]`: f32 rows, or rows kept in a compact format (a
/// GGUF file's blocks, bf16) and expanded one row at a time on lookup, exactly. With tied
/// embeddings the compact table is also the head, one copy for both.
public enum EmbeddingTable: @unchecked Sendable {
    // @unchecked: the matrix and the weight are immutable once loaded.
    case f32(Matrix)
    case compact(BlockWeight)

    public var rows: Int {
        switch self {
        case let .f32(matrix): matrix.rows
        case let .compact(weight): weight.rows
        }
    }

    public var cols: Int {
        switch self {
        case let .f32(matrix): matrix.cols
        case let .compact(weight): weight.cols
        }
    }

    /// Bytes held.
    public var byteCount: Int {
        switch self {
        case let .f32(matrix): matrix.count * MemoryLayout<Float>.stride
        case let .compact(weight): weight.byteCount
        }
    }

    /// Writes row `row` (`cols` floats) to `destination`.
    @inline(__always)
    public func copyRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case let .f32(matrix): destination.update(from: matrix.row(row), count: matrix.cols)
        case let .compact(weight): weight.dequantize(row: row, into: destination)
        }
    }

    /// The whole table as f32 (tests and checks).
    public func unpacked() -> Matrix {
        switch self {
        case let .f32(matrix): matrix
        case let .compact(weight): weight.unpacked()
        }
    }
}
