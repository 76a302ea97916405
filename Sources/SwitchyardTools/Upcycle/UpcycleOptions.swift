import SwitchyardTensor

/// What `upcycle` builds: how experts are made, how many, how many a token uses, in which dtype.
public struct UpcycleOptions: Sendable, Equatable {
    /// How the dense FFN becomes experts.
    public enum Mode: String, Sendable, CaseIterable {
        /// Sparse upcycling: every expert is a copy of the dense FFN.
        case copy
        /// MoEfication: the FFN's neurons are partitioned into the experts.
        case split
    }

    public var mode: Mode
    public var experts: Int
    public var topK: Int
    public var seed: UInt64
    /// Output dtype; nil keeps the source's (f32 for a quantized GGUF).
    public var dtype: DType?
    public var maxShardBytes: Int

    public init(mode: Mode, experts: Int, topK: Int, seed: UInt64 = 0, dtype: DType? = nil,
                maxShardBytes: Int = ModelInitializer.defaultMaxShardBytes) {
        self.mode = mode
        self.experts = experts
        self.topK = topK
        self.seed = seed
        self.dtype = dtype
        self.maxShardBytes = maxShardBytes
    }

    /// Checks the flags against the dense model: E >= 2, 1 <= K <= E, and for split I % E == 0.
    public func validate(for shape: DenseModelShape) throws {
        guard experts >= 2 else { throw UpcycleError.invalidRequest("--experts must be at least 2, got \(experts)") }
        guard experts <= 256 else { throw UpcycleError.invalidRequest("--experts must be at most 256, got \(experts)") }
        guard topK >= 1, topK <= experts else {
            throw UpcycleError.invalidRequest("--top-k must be between 1 and --experts (\(experts)), got \(topK)")
        }
        if mode == .split, shape.intermediateSize % experts != 0 {
            throw UpcycleError.invalidRequest(
                "--mode split needs intermediate_size (\(shape.intermediateSize)) to be a multiple of --experts (\(experts)); "
                + "divisors that work: \(Self.divisors(shape.intermediateSize).filter { $0 >= 2 && $0 <= 64 }.map(String.init).joined(separator: ", "))")
        }
    }

    /// The intermediate size of one expert.
    public func expertIntermediateSize(for shape: DenseModelShape) -> Int {
        mode == .copy ? shape.intermediateSize : shape.intermediateSize / experts
    }

    static func divisors(_ n: Int) -> [Int] { (1...max(n, 1)).filter { n % $0 == 0 } }
}
