// The fuzz executable. Built by scripts/fuzz.sh with `-sanitize=fuzzer,address -parse-as-library
// -D FUZZING` it is a libFuzzer binary for the target named by SWITCHYARD_FUZZ_TARGET; built
// normally (`swift build`) it replays inputs: `switchyard-fuzz TARGET FILE...`.
import SwitchyardFuzz

#if FUZZING
import Foundation

/// The target, chosen once from the environment.
nonisolated(unsafe) private var selected: (@Sendable ([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> CInt {
    let name = ProcessInfo.processInfo.environment["SWITCHYARD_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.target(named: name) else {
        let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("set SWITCHYARD_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected?(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
import Foundation

let arguments = CommandLine.arguments.dropFirst()
// `switchyard-fuzz seed TARGET DIR`: writes the target's starting inputs into DIR.
if arguments.first == "seed", arguments.count == 3 {
    let target = arguments.dropFirst().first!, directory = arguments.last!
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for (index, seed) in FuzzSeeds.seeds(for: target).enumerated() {
        FileManager.default.createFile(atPath: "\(directory)/seed-\(index)", contents: Data(seed))
    }
    exit(0)
}
guard let name = arguments.first, let target = FuzzTargets.target(named: name) else {
    print("usage: switchyard-fuzz TARGET FILE... | seed TARGET DIR (targets: \(FuzzTargets.all.map(\.name).joined(separator: ", ")))")
    exit(64)
}
for path in arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        print("cannot read \(path)")
        exit(66)
    }
    target([UInt8](data))
}
print("\(name): \(arguments.count - 1) inputs, no crash")
#endif
