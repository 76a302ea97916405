import Foundation
import SwitchyardTensor

/// One Hugging Face tensor inside a GGUF file: a whole GGUF tensor, or one expert's rows of a stacked
/// `[E, out, in]` tensor, with the Q/K row order llama.cpp's converter changed for `llama`.
///
/// This is the one place GGUF bytes become weights: `dequantize` turns rows of any block format the
/// engine reads (f32, f16, bf16, the `WeightFormat` blocks, and the expand-only q5_0 / q5_1) into f32, and `copyRows` copies
/// rows of a block format as they are (for `--dtype auto`), both in Hugging Face row order. Only the
/// byte range of the slice is mapped, and only when the process needs it.
struct GGUFTensorSlice: @unchecked Sendable {
    // @unchecked: the region is read-only after init.
    let path: String
    let tensorName: String
    let type: GGUFTensorType
    /// Elements per row (ggml's `ne0`).
    let cols: Int
    /// Rows of this slice.
    let rows: Int
    /// Absolute file byte range of the slice's rows.
    let fileRange: Range<Int>
    /// Heads the converter permuted the rows (or, for a 1-D bias, the elements) with; nil when untouched.
    let permutationHeads: Int?
    /// The mapped bytes, nil while the process's filter excludes the slice.
    var region: GGUFMappedRegion?

    /// The formats whose rows can be converted; others are refused at open with the tensor named.
    static func isSupported(_ type: GGUFTensorType) -> Bool {
        type == .f32 || type == .f16 || WeightFormat(ggmlType: Int(type.rawValue)) != nil
            || ExpandedBlockFormat(rawValue: Int(type.rawValue)) != nil
    }

    /// The slice of `info` holding `rows` GGUF rows from `firstRow`.
    init(file: GGUFFile, info: GGUFTensorInfo, firstRow: Int, rows: Int, permutationHeads: Int?) throws {
        guard Self.isSupported(info.type) else {
            throw GGUFError(.unknownTensorType, file: file.path, tensor: info.name,
                            "tensor type \(info.type) is not supported by the engine (f16, \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", ")), \(ExpandedBlockFormat.allCases.map { "\($0)" }.joined(separator: ", ")))")
        }
        path = file.path
        tensorName = info.name
        type = info.type
        cols = info.rowLength
        self.rows = rows
        let start = info.fileOffset + firstRow * info.rowByteCount
        fileRange = start..<(start + rows * info.rowByteCount)
        self.permutationHeads = permutationHeads
    }

    /// Maps the slice's bytes (and nothing else of the file).
    mutating func map() throws {
        region = try GGUFMappedRegion(path: path, fileRange: fileRange)
    }

    var rowBytes: Int { rows == 0 ? 0 : fileRange.count / rows }

    /// The format the values are kept in under `--dtype auto`: the block format (or bf16) itself; f32
    /// for f32 and f16; q8_0 for q5_0 (exactly: `copyRows` rewrites its blocks); f32 for q5_1.
    var storedFormat: WeightFormat {
        WeightFormat(ggmlType: Int(type.rawValue)) ?? ExpandedBlockFormat(rawValue: Int(type.rawValue))?.keptAs ?? .f32
    }

    /// Copies `count` whole rows from row `firstRow` (Hugging Face order) in `storedFormat`,
    /// `storedFormat.rowBytes(cols:)` each, into `destination`: as the file stores them, or for q5_0
    /// rewritten as q8_0 blocks. A block runs along a row, so undoing the Q/K permutation moves whole
    /// rows and keeps every block intact.
    func copyRows(firstRow: Int, count: Int, into destination: UnsafeMutableRawPointer) throws {
        if count == 0 { return }
        guard let region, let base = region.bytes.baseAddress else {
            throw GGUFError(.indexOutOfRange, file: path, tensor: tensorName, "the tensor is not mapped by this process")
        }
        precondition(firstRow >= 0 && count >= 0 && firstRow + count <= rows, "rows \(firstRow)..<\(firstRow + count) outside 0..<\(rows)")
        if type == .q5_0 {
            let outBytes = WeightFormat.q8_0.rowBytes(cols: cols)
            for r in 0..<count {
                let source = permutationHeads.map { GGUFQKPermutation.ggufRow(forHFRow: firstRow + r, rowCount: rows, heads: $0) } ?? firstRow + r
                ExpandedBlockFormat.q5_0AsQ8_0(row: base + source * rowBytes, cols: cols, into: destination + r * outBytes)
            }
            return
        }
        guard let heads = permutationHeads, rows > 1 else {
            destination.copyMemory(from: base + firstRow * rowBytes, byteCount: count * rowBytes)
            return
        }
        for r in 0..<count {
            let source = GGUFQKPermutation.ggufRow(forHFRow: firstRow + r, rowCount: rows, heads: heads)
            (destination + r * rowBytes).copyMemory(from: base + source * rowBytes, byteCount: rowBytes)
        }
    }

    /// Converts `count` elements from `elementOffset` (both whole rows, or any run of a one-row tensor)
    /// into `destination`, in Hugging Face order.
    func dequantize(elementOffset: Int, count: Int, into destination: UnsafeMutablePointer<Float>) throws {
        guard let region, let base = region.bytes.baseAddress else {
            throw GGUFError(.indexOutOfRange, file: path, tensor: tensorName, "the tensor is not mapped by this process")
        }
        if rows == 1 {
            let all = UnsafeMutablePointer<Float>.allocate(capacity: cols)
            defer { all.deallocate() }
            convert(base, into: all)
            for i in 0..<count {
                let element = elementOffset + i
                let source = permutationHeads.map { GGUFQKPermutation.ggufRow(forHFRow: element, rowCount: cols, heads: $0) } ?? element
                destination[i] = all[source]
            }
            return
        }
        precondition(elementOffset % cols == 0 && count % cols == 0, "GGUF slices are read in whole rows")
        let firstRow = elementOffset / cols
        for r in 0..<(count / cols) {
            let hfRow = firstRow + r
            let source = permutationHeads.map { GGUFQKPermutation.ggufRow(forHFRow: hfRow, rowCount: rows, heads: $0) } ?? hfRow
            convert(base + source * rowBytes, into: destination + r * cols)
        }
    }

    /// One GGUF row to f32.
    private func convert(_ source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            destination.update(from: source.assumingMemoryBound(to: Float.self), count: cols)
        case .f16:
            let halves = source.assumingMemoryBound(to: UInt16.self)
            for i in 0..<cols { destination[i] = FloatConversion.float(f16: halves[i]) }
        default:
            if let format = WeightFormat(ggmlType: Int(type.rawValue)) {
                format.dequantize(row: source, cols: cols, into: destination)
            } else {
                ExpandedBlockFormat(rawValue: Int(type.rawValue))!.dequantize(row: source, cols: cols, into: destination)
            }
        }
    }
}
