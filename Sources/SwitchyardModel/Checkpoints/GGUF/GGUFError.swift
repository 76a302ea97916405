/// Every failure raised while reading or interpreting a GGUF file.
///
/// `kind` is stable and meant for matching; `description` is a human message that
/// always names the file and, where relevant, the tensor or metadata key.
public struct GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, without the details.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case cannotOpen
        case mmapFailed
        case badMagic
        case unsupportedVersion
        case bigEndian
        case truncatedHeader
        case truncatedMetadata
        case truncatedTensorInfo
        case absurdCount
        case absurdStringLength
        case unknownValueType
        case arrayNestingTooDeep
        case duplicateKey
        case invalidAlignment
        case tensorNameTooLong
        case tooManyDimensions
        case invalidDimension
        case unknownTensorType
        case elementCountOverflow
        case rowNotMultipleOfBlockSize
        case tensorPastEndOfFile
        case misalignedTensorOffset
        case overlappingTensors
        case duplicateTensorName
        case tensorNotFound
        case notStackedTensor
        case indexOutOfRange
        case missingKey
        case wrongValueType
        case invalidValue
        case unsupportedArchitecture
        case unsupportedTokenizerModel
        case invalidTokenizerData
        case splitMismatch
        case missingSplitFile
        case noGGUFFiles
        case ambiguousDirectory
    }

    public let kind: Kind
    /// Path of the file (or directory) concerned.
    public let file: String
    /// Tensor concerned, if any.
    public let tensor: String?
    /// Metadata key concerned, if any.
    public let key: String?
    /// Human explanation of the specific problem.
    public let detail: String

    public init(_ kind: Kind, file: String, tensor: String? = nil, key: String? = nil, _ detail: String) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
        self.key = key
        self.detail = detail
    }

    public var description: String {
        var subject = "GGUF file '\(file)'"
        if let tensor { subject += ", tensor '\(tensor)'" }
        if let key { subject += ", key '\(key)'" }
        return "\(subject): \(detail)"
    }
}
