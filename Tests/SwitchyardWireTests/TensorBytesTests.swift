import Testing
@testable import SwitchyardWire
import SwitchyardTensor

/// Owner of a test buffer: counts how long it lives.
private final class Buffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(byteCount: count, alignment: 16)
    }
    deinit { pointer.deallocate() }
}

@Suite("TensorBytes")
struct TensorBytesTests {
    @Test("wrapping keeps the caller's buffer: no copy, owner kept alive")
    func wrap() {
        weak var weakOwner: Buffer?
        let tensor: TensorBytes
        do {
            let buffer = Buffer(count: 8)
            weakOwner = buffer
            buffer.pointer.storeBytes(of: Float(1.5).bitPattern.littleEndian, toByteOffset: 0, as: UInt32.self)
            buffer.pointer.storeBytes(of: Float(-2).bitPattern.littleEndian, toByteOffset: 4, as: UInt32.self)
            tensor = TensorBytes(owner: buffer, baseAddress: buffer.pointer, count: 8)
            #expect(tensor.baseAddress == UnsafeRawPointer(buffer.pointer))
        }
        #expect(weakOwner != nil, "the tensor must keep its owner alive")
        #expect(tensor.floats(as: .f32) == [1.5, -2])
    }

    @Test("copies floats out of an unaligned received frame")
    func unaligned() throws {
        let values: [Float] = [1, 2, 3, 4.25]
        let packed = TensorBytes(f32: values).byteArray
        let storage = Buffer(count: 17)
        packed.withUnsafeBytes { storage.pointer.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        let tensor = TensorBytes(owner: storage, baseAddress: storage.pointer.advanced(by: 1), count: 16)
        var out = [Float](repeating: 0, count: 4)
        try out.withUnsafeMutableBufferPointer { try tensor.copyElements(as: .f32, into: $0) }
        #expect(out == values)
    }

    @Test("little-endian encoding on the wire")
    func littleEndian() {
        #expect(TensorBytes(f32: [1]).byteArray == [0x00, 0x00, 0x80, 0x3F])
        #expect(TensorBytes(bf16: [1]).byteArray == [0x80, 0x3F])
    }

    @Test("bf16 rounds to nearest even and widens exactly")
    func bf16() {
        #expect(DTypeConversion.floatToBF16Bits(1) == 0x3F80)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
        #expect(DTypeConversion.floatToBF16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        // Just above halfway rounds up.
        #expect(DTypeConversion.floatToBF16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        // Halfway with odd lower bit rounds up to even.
        #expect(DTypeConversion.floatToBF16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(DTypeConversion.bf16BitsToFloat(0xC000) == -2)
        #expect(DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits(.nan)).isNaN)
        #expect(DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits(.infinity)) == .infinity)
    }

    @Test("copy into a destination of the wrong size is an error, not a crash")
    func wrongDestination() {
        let tensor = TensorBytes(f32: [1, 2, 3])
        var out = [Float](repeating: 0, count: 2)
        #expect(throws: WireError.tensorSizeMismatch(expected: 8, actual: 12)) {
            try out.withUnsafeMutableBufferPointer { try tensor.copyElements(as: .f32, into: $0) }
        }
        #expect(TensorBytes(copying: [1, 2, 3]).floats(as: .f32) == nil)
        #expect(tensor.floats(as: .unspecified) == nil)
    }

    @Test("empty tensor and equality by content")
    func equality() {
        #expect(TensorBytes.empty.count == 0)
        #expect(TensorBytes.empty == TensorBytes(copying: []))
        #expect(TensorBytes(f32: [1, 2]) == TensorBytes(f32: [1, 2]))
        #expect(TensorBytes(f32: [1, 2]) != TensorBytes(f32: [1, 3]))
        #expect(FrameBytes.inline([1, 2]) == FrameBytes.tensor(TensorBytes(copying: [1, 2])))
    }

    @Test("built buffers are cache-line aligned")
    func alignment() {
        let tensor = TensorBytes(f32: [1, 2, 3])
        #expect(Int(bitPattern: tensor.baseAddress) % ByteStorage.alignment == 0)
    }
}
