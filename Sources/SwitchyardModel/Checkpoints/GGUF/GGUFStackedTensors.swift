/// Stacked expert tensors: llama.cpp stores all experts of one MoE projection as a
/// single 3-D tensor `blk.N.ffn_{gate,up,down}_exps.weight` with ggml dims
/// [in, out, E], i.e. row-major [E, out, in]. Expert `e` is the contiguous block of
/// `out` rows starting at row `e * out`; these helpers compute byte ranges so a
/// worker can map only its own experts.
extension GGUFTensorInfo {
    /// Number of experts (outermost dimension) if this is a 3-D stacked tensor.
    public var expertCount: Int? { dimensions.count == 3 ? dimensions[2] : nil }

    /// Rows per expert (ne1) of a stacked tensor.
    public var rowsPerExpert: Int? { dimensions.count == 3 ? dimensions[1] : nil }

    /// Bytes of one expert's slice of a stacked tensor.
    public var expertByteCount: Int? { rowsPerExpert.map { $0 * rowByteCount } }
}

extension GGUFFile {
    private func stacked(_ name: String) throws -> (GGUFTensorInfo, experts: Int, rows: Int) {
        let t = try requireTensor(name)
        guard let e = t.expertCount, let r = t.rowsPerExpert else {
            throw GGUFError(.notStackedTensor, file: path, tensor: name,
                            "expected a 3-D stacked expert tensor, found dims \(t.dimensions)")
        }
        return (t, e, r)
    }

    private func check(_ range: Range<Int>, within count: Int, _ what: String, tensor: String) throws {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw GGUFError(.indexOutOfRange, file: path, tensor: tensor, "\(what) \(range) out of range 0..<\(count)")
        }
    }

    /// Absolute file byte range of experts `experts` (contiguous) of a stacked tensor.
    public func byteRange(ofTensor name: String, experts: Range<Int>) throws -> Range<Int> {
        let (t, count, rows) = try stacked(name)
        try check(experts, within: count, "experts", tensor: name)
        let per = rows * t.rowByteCount
        return t.fileOffset + experts.lowerBound * per ..< t.fileOffset + experts.upperBound * per
    }

    /// Absolute file byte range of expert `expert` of a stacked tensor.
    public func byteRange(ofTensor name: String, expert: Int) throws -> Range<Int> {
        try byteRange(ofTensor: name, experts: expert ..< expert + 1)
    }

    /// Absolute file byte range of rows `rows` (output channels) of one expert.
    public func byteRange(ofTensor name: String, expert: Int, rows: Range<Int>) throws -> Range<Int> {
        let (t, _, perExpert) = try stacked(name)
        let expertRange = try byteRange(ofTensor: name, expert: expert)
        try check(rows, within: perExpert, "rows", tensor: name)
        return expertRange.lowerBound + rows.lowerBound * t.rowByteCount
            ..< expertRange.lowerBound + rows.upperBound * t.rowByteCount
    }

    /// Absolute file byte range of flattened rows `rows` of any tensor
    /// (row = ne0 contiguous elements).
    public func byteRange(ofTensor name: String, rows: Range<Int>) throws -> Range<Int> {
        let t = try requireTensor(name)
        try check(rows, within: t.rowCount, "rows", tensor: name)
        return t.fileOffset + rows.lowerBound * t.rowByteCount ..< t.fileOffset + rows.upperBound * t.rowByteCount
    }

    /// Bytes of one expert inside the whole-file mapping (no copy).
    public func expertData(ofTensor name: String, expert: Int) throws -> UnsafeRawBufferPointer {
        try bytes(fileRange: byteRange(ofTensor: name, expert: expert))
    }

    /// Maps only the bytes of experts `experts` of a stacked tensor into a new region.
    public func mapExperts(ofTensor name: String, experts: Range<Int>) throws -> GGUFMappedRegion {
        try mapBytes(byteRange(ofTensor: name, experts: experts))
    }
}
