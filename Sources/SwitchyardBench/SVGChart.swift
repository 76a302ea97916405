import Foundation

/// A small self-contained SVG chart (axes, ticks, legend; scatter or line series), no scripts or fonts
/// from the network, so a report opens offline.
public struct SVGChart: Sendable {
    public enum Style: Sendable { case scatter, line }

    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var style: Style
        public var points: [(x: Double, y: Double)]

        public init(name: String, color: String, style: Style, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.style = style
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 720.0
    public var height = 360.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    private let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0

    /// The chart as an `<svg>` element.
    public func render() -> String {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xMax = Self.niceCeiling(all.map(\.x).max() ?? 1)
        let yMax = Self.niceCeiling(all.map(\.y).max() ?? 1)
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + x / xMax * plotW }
        func py(_ y: Double) -> Double { top + plotH - y / yMax * plotH }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"white\"/>\n"
        s += "<text x=\"\(Int(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(HTMLText.escape(title))</text>\n"
        for i in 0...5 {
            let xv = xMax * Double(i) / 5, yv = yMax * Double(i) / 5
            s += "<line x1=\"\(f(px(xv)))\" y1=\"\(f(top))\" x2=\"\(f(px(xv)))\" y2=\"\(f(top + plotH))\" stroke=\"#eee\"/>"
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(yv)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(yv)))\" stroke=\"#eee\"/>\n"
            s += "<text x=\"\(f(px(xv)))\" y=\"\(f(top + plotH + 15))\" text-anchor=\"middle\">\(Self.tick(xv))</text>"
            s += "<text x=\"\(f(left - 5))\" y=\"\(f(py(yv) + 4))\" text-anchor=\"end\">\(Self.tick(yv))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(HTMLText.escape(xLabel))</text>\n"
        s += "<text transform=\"translate(15 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTMLText.escape(yLabel))</text>\n"
        for (i, one) in series.enumerated() {
            let pts = one.points.filter { $0.x.isFinite && $0.y.isFinite }
            switch one.style {
            case .scatter:
                s += "<g fill=\"\(one.color)\" fill-opacity=\"0.6\">"
                for p in pts { s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2\"/>" }
                s += "</g>\n"
            case .line:
                if !pts.isEmpty {
                    let path = pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                    s += "<polyline fill=\"none\" stroke=\"\(one.color)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
                }
            }
        }
        s += legend(plotW: plotW, plotH: plotH)
        s += "</svg>"
        return s
    }

    /// Series names on a white box: top left for scatter charts, bottom right for line charts
    /// (CDFs rise on the left). Scatter entries show how many points they hold.
    private func legend(plotW: Double, plotH: Double) -> String {
        let lineChart = series.allSatisfy { $0.style == .line }
        let labels = series.map { one in
            lineChart ? one.name : "\(one.name) (\(one.points.count))"
        }
        let boxW = Double(labels.map(\.count).max() ?? 0) * 6.5 + 30
        let boxH = Double(series.count) * 14 + 6
        let x0 = lineChart ? left + plotW - boxW - 8 : left + 8
        let y0 = lineChart ? top + plotH - boxH - 8 : top + 8
        var s = "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(boxW))\" height=\"\(f(boxH))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
        for (i, one) in series.enumerated() {
            let ly = y0 + 14 + Double(i) * 14
            s += "<rect x=\"\(f(x0 + 6))\" y=\"\(f(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(one.color)\"/>"
            s += "<text x=\"\(f(x0 + 21))\" y=\"\(f(ly))\">\(HTMLText.escape(labels[i]))</text>\n"
        }
        return s
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The smallest round axis maximum (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at
    /// least `v`; 1 for empty or zero data.
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] where m * p >= v * (1 - 1e-12) { return m * p }
        return 10 * p
    }

    static func tick(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        return String(format: abs(v) >= 1 ? "%.1f" : "%.3g", v)
    }
}
