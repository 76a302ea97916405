/// Why a weight cannot be cut as asked.
public enum WeightSliceError: Error, Sendable, Equatable, CustomStringConvertible {
    case rowsOutOfRange(rows: Range<Int>, weightRows: Int)
    case columnsOutOfRange(columns: Range<Int>, weightCols: Int)
    /// A block format stores a row in blocks of `blockSize` values: a cut must fall on a block boundary.
    case columnsNotOnBlocks(format: WeightFormat, columns: Range<Int>, blockSize: Int)

    public var description: String {
        switch self {
        case let .rowsOutOfRange(rows, weightRows):
            "rows \(rows.lowerBound)..<\(rows.upperBound) are outside the weight's \(weightRows) rows"
        case let .columnsOutOfRange(columns, weightCols):
            "columns \(columns.lowerBound)..<\(columns.upperBound) are outside the weight's \(weightCols) columns"
        case let .columnsNotOnBlocks(format, columns, blockSize):
            "columns \(columns.lowerBound)..<\(columns.upperBound) do not fall on \(format) block boundaries (blocks of \(blockSize) values)"
        }
    }
}

extension LinearWeight {
    /// Checks a cut against the weight's shape (and, for block formats, its block boundaries).
    func validateSlice(rows rowRanges: [Range<Int>], columns: Range<Int>, blockSize: Int) throws(WeightSliceError) {
        for range in rowRanges where range.lowerBound < 0 || range.upperBound > rows {
            throw .rowsOutOfRange(rows: range, weightRows: rows)
        }
        guard columns.lowerBound >= 0, columns.upperBound <= cols else {
            throw .columnsOutOfRange(columns: columns, weightCols: cols)
        }
        guard columns.lowerBound % blockSize == 0, columns.upperBound % blockSize == 0 else {
            throw .columnsNotOnBlocks(format: format, columns: columns, blockSize: blockSize)
        }
    }
}

extension PackedWeight {
    /// A packed copy of rows `rowRanges` (stacked in order), columns `columns`.
    public func sliced(rows rowRanges: [Range<Int>], columns: Range<Int>) throws(WeightSliceError) -> any LinearWeight {
        try validateSlice(rows: rowRanges, columns: columns, blockSize: 1)
        let sourceRows = rowRanges.flatMap { Array($0) }
        let width = columns.count
        return PackedWeight(rows: sourceRows.count, cols: width) { first, count, destination in
            for r in 0..<count {
                let source = sourceRows[first + r]
                for (c, column) in columns.enumerated() { destination[r * width + c] = self[source, column] }
            }
        }
    }
}

extension BlockWeight {
    /// A copy (owned, in this weight's format) of rows `rowRanges` (stacked in order), columns
    /// `columns`, which must fall on the format's block boundaries: each row's blocks are copied as they are.
    public func sliced(rows rowRanges: [Range<Int>], columns: Range<Int>) throws(WeightSliceError) -> any LinearWeight {
        try validateSlice(rows: rowRanges, columns: columns, blockSize: format.blockSize)
        let blocks = (columns.lowerBound / format.blockSize)..<(columns.upperBound / format.blockSize)
        let bytes = format.rowBytes(cols: columns.count)
        do {
            return try BlockWeight(format: format, cols: columns.count, runs: rowRanges.map(\.count)) { run, destination in
                for (i, row) in rowRanges[run].enumerated() {
                    copyBlocks(row: row, blocks: blocks, into: destination + i * bytes)
                }
            }
        } catch {
            // The shape was validated above; BlockWeight only refuses negative or unaligned shapes.
            fatalError("slicing a validated \(format) weight failed: \(error)")
        }
    }
}

extension StackedWeight {
    /// Each part cut to the rows of `rowRanges` it holds, stacked again in the order asked.
    public func sliced(rows rowRanges: [Range<Int>], columns: Range<Int>) throws(WeightSliceError) -> any LinearWeight {
        try validateSlice(rows: rowRanges, columns: columns, blockSize: 1)
        var pieces: [any LinearWeight] = []
        for range in rowRanges {
            var partStart = 0
            for part in parts {
                let lower = max(range.lowerBound, partStart), upper = min(range.upperBound, partStart + part.rows)
                if lower < upper {
                    pieces.append(try part.sliced(rows: [(lower - partStart)..<(upper - partStart)], columns: columns))
                }
                partStart += part.rows
            }
        }
        if pieces.isEmpty { return try parts[0].sliced(rows: [], columns: columns) }
        return pieces.count == 1 ? pieces[0] : StackedWeight(pieces)
    }
}
