// The fuzz executable. Built by scripts/fuzz.sh with AddressSanitizer, libFuzzer's coverage
// instrumentation and `-D FUZZING`, linked with libFuzzer's driver without its `main`
// (`libclang_rt.fuzzer_no_main`), it hands control to libFuzzer for the target named by
// SWITCHYARD_FUZZ_TARGET. Built normally (`swift build`) it replays inputs:
// `switchyard-fuzz TARGET FILE...`, or writes a target's starting inputs:
// `switchyard-fuzz seed TARGET DIR`.
//
// (SwiftPM names an executable's entry point itself, so `-sanitize=fuzzer`, whose libFuzzer
// brings its own `main`, cannot link here; libFuzzer's `LLVMFuzzerRunDriver` is the same driver.)
import Foundation
import SwitchyardFuzz

/// The replay program (normal builds).
func replay() {
    let arguments = CommandLine.arguments.dropFirst()
    if arguments.first == "seed", arguments.count == 3 {
        let target = arguments.dropFirst().first!, directory = arguments.last!
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            print("cannot create \(directory): \(error)")
            exit(73)
        }
        for (index, seed) in FuzzSeeds.seeds(for: target).enumerated() {
            _ = FileManager.default.createFile(atPath: "\(directory)/seed-\(index)", contents: Data(seed))
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
}

#if FUZZING
/// libFuzzer's driver (`FuzzerInterface.h`): parses its flags from argv and calls `callback` with
/// each input; exits when done.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The target, chosen once from the environment before the driver starts.
nonisolated(unsafe) let selected: @Sendable ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["SWITCHYARD_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.target(named: name) else {
        print("set SWITCHYARD_FUZZ_TARGET to one of: \(FuzzTargets.all.map(\.name).joined(separator: ", "))")
        exit(2)
    }
    return target
}()

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in
    selected(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
#else
replay()
#endif
