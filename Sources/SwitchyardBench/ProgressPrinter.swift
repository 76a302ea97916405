import Foundation
import Synchronization

/// Shows run progress on standard error: a bar redrawn in place on a terminal, otherwise a plain
/// line at every 10% (and at least every 10 s) so logs stay readable.
public final class ProgressPrinter: Sendable {
    private struct State {
        var lastDecile = -1
        var lastLine = -Double.infinity
        var lastDraw = -Double.infinity
        var drewBar = false
    }

    /// Whether to draw the redrawn bar (true on a terminal).
    public let interactive: Bool
    private let label: String
    private let write: @Sendable (String) -> Void
    private let state = Mutex(State())

    /// - Parameters:
    ///   - label: printed before the counts (e.g. the sweep point).
    ///   - interactive: nil decides by `isatty(stderr)`.
    ///   - write: where the text goes (standard error by default).
    public init(label: String = "", interactive: Bool? = nil, write: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.interactive = interactive ?? (isatty(STDERR_FILENO) == 1)
        self.write = write ?? { FileHandle.standardError.write(Data($0.utf8)) }
    }

    /// The handler to pass to `BenchRunner.run`.
    public var handler: ProgressHandler { { [self] in self.update($0) } }

    /// Shows one snapshot (rate-limited).
    public func update(_ p: ProgressSnapshot) {
        let done = p.finished == p.total
        let text: String? = state.withLock { s in
            if interactive {
                guard done || p.elapsed - s.lastDraw >= 0.1 else { return nil }
                s.lastDraw = p.elapsed
                s.drewBar = true
                return "\r" + Self.bar(p, label: label) + (done ? "\n" : "")
            }
            let decile = p.total == 0 ? 10 : p.finished * 10 / p.total
            guard decile > s.lastDecile || p.elapsed - s.lastLine >= 10 else { return nil }
            s.lastDecile = decile
            s.lastLine = p.elapsed
            return Self.line(p, label: label) + "\n"
        }
        if let text { write(text) }
    }

    /// `[#####-----] 50/100 ok 49 failed 1 12.3 s`
    static func bar(_ p: ProgressSnapshot, label: String, width: Int = 30) -> String {
        let filled = p.total == 0 ? width : p.finished * width / p.total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return "\(label.isEmpty ? "" : label + " ")[\(bar)] \(p.finished)/\(p.total) failed \(p.failed) \(String(format: "%.1f", p.elapsed)) s"
    }

    /// `progress: 50/100 done, 1 failed, 12.3 s`
    static func line(_ p: ProgressSnapshot, label: String) -> String {
        "\(label.isEmpty ? "progress" : label): \(p.finished)/\(p.total) done, \(p.failed) failed, \(String(format: "%.1f", p.elapsed)) s"
    }
}
