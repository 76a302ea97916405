import ArgumentParser
import Foundation
import SwitchyardTensor
import SwitchyardZMQ

/// `switchyard doctor`: checks the libraries and machine Switchyard needs and says what is wrong.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check libzmq, CURVE, OpenBLAS and the CPU; fail with a clear message when something is missing."
    )

    func run() throws {
        var problems: [String] = []

        let zmq = ZMQLibrary.version
        let curve = ZMQLibrary.has("curve")
        print("libzmq:    \(ZMQLibrary.versionString)")
        print("  curve:   \(curve ? "built in" : "MISSING")")
        if zmq.major < 4 || (zmq.major == 4 && zmq.minor < 3) {
            problems.append("libzmq \(ZMQLibrary.versionString) is older than 4.3 (install libzmq3-dev / zeromq)")
        }
        if !curve {
            problems.append("libzmq was built without CURVE: encrypted router-worker links are unavailable")
        }

        print("OpenBLAS:  \(BLAS.configString)")
        print("  core:    \(BLAS.coreName)")
        print("  threads: \(BLAS.threadCount)")
        if !BLAS.configString.contains("OpenBLAS") {
            problems.append("the BLAS library linked is not OpenBLAS (install libopenblas-dev)")
        }

        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let memoryGiB = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        print("CPUs:      \(cpus)")
        print("memory:    \(String(format: "%.1f", memoryGiB)) GiB")
        if let name = CPUFeatures.modelName { print("  model:   \(name)") }
        print("  features: \(CPUFeatures.present.joined(separator: " "))")
        let forced = ProcessInfo.processInfo.environment["SWITCHYARD_KERNEL_ISA"]
        print("kernels:   compact weights (bf16, q8_0, q4_*, q*_K, mxfp4) on the \(KernelPath.active.name) path"
              + " (supported: \(KernelPath.available.map(\.name).joined(separator: ", "))"
              + (forced.map { "; SWITCHYARD_KERNEL_ISA=\($0)" } ?? "") + ")")
        print("  f32:     packed kernel, \(PackedWeight.kernelDescription)")
        print("  bf16 and block formats: rows interleaved by eight at load (--repack auto|on|off; auto is off for generate)")

        if problems.isEmpty {
            print("ok: Switchyard can run on this machine")
        } else {
            for problem in problems { printError("doctor: \(problem)") }
            throw ExitCode(1)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
