import Foundation

/// Global functions available to templates: Jinja2's `range`, `namespace`, `dict`, `cycler`,
/// `joiner`, plus transformers' `raise_exception` and `strftime_now`.
enum Globals {
    static func make(now: Date, timeZone: TimeZone) -> [String: Value] {
        var g: [String: Value] = [:]
        g["raise_exception"] = .callable(Callable(name: "raise_exception") { args, kwargs, _ in
            let msg = ArgumentReader("raise_exception", args, kwargs).get(0, "message") ?? .none
            throw TemplateError.raised(message: PythonFormatting.str(msg))
        })
        g["strftime_now"] = .callable(Callable(name: "strftime_now") { args, kwargs, _ in
            let fmt = try ArgumentReader("strftime_now", args, kwargs).requireString(0, "format")
            return .string(strftime(fmt, now, timeZone))
        })
        g["range"] = .callable(Callable(name: "range") { args, _, _ in
            let ints = try args.map { v -> Int in
                guard let i = Operators.intIndex(v) else {
                    throw TemplateError.type(message: "'\(v.typeName)' object cannot be interpreted as an integer")
                }
                return i
            }
            var start = 0, stop = 0, step = 1
            switch ints.count {
            case 1: stop = ints[0]
            case 2: start = ints[0]; stop = ints[1]
            case 3: start = ints[0]; stop = ints[1]; step = ints[2]
            default: throw TemplateError.type(message: "range expected 1 to 3 arguments, got \(ints.count)")
            }
            if step == 0 { throw TemplateError.runtime(message: "range() arg 3 must not be zero") }
            if (stop - start) / step > 100_000 { throw TemplateError.security(message: "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).") }
            return .list(Array(stride(from: start, to: stop, by: step)).map { .int($0) })
        })
        g["namespace"] = .callable(Callable(name: "namespace") { args, kwargs, interp in
            let ns = Namespace()
            interp.track(ns)
            for arg in args {
                guard case .dict(let d) = arg else { throw TemplateError.type(message: "namespace() positional argument must be a mapping") }
                for (k, v) in d.items { ns.attributes[k] = v }
            }
            for (k, v) in kwargs { ns.attributes[.string(k)] = v }
            return .namespace(ns)
        })
        g["dict"] = .callable(Callable(name: "dict") { args, kwargs, _ in
            var d = PyDict()
            for arg in args {
                guard case .dict(let src) = arg else { throw TemplateError.type(message: "dict() positional argument must be a mapping") }
                for (k, v) in src.items { d[k] = v }
            }
            for (k, v) in kwargs { d[.string(k)] = v }
            return .dict(d)
        })
        g["joiner"] = .callable(Callable(name: "joiner") { args, kwargs, _ in
            let sep = PythonFormatting.str(ArgumentReader("joiner", args, kwargs).get(0, "sep") ?? .string(", "))
            let state = Namespace()
            return .callable(Callable(name: "joiner") { _, _, _ in
                if state.attributes[string: "used"] == nil {
                    state.attributes[.string("used")] = .bool(true)
                    return .string("")
                }
                return .string(sep)
            })
        })
        return g
    }

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]
    private static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// C/Python `strftime` for the common directives (C locale).
    static func strftime(_ fmt: String, _ date: Date, _ tz: TimeZone) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = tz
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let year = c.year ?? 1970, month = c.month ?? 1, day = c.day ?? 1
        let hour = c.hour ?? 0, minute = c.minute ?? 0, second = c.second ?? 0
        let weekday = (c.weekday ?? 1) - 1
        let dayOfYear = cal.ordinality(of: .day, in: .year, for: date) ?? 1
        func pad(_ v: Int, _ w: Int = 2, _ fill: Character = "0") -> String {
            let s = String(v)
            return String(repeating: fill, count: max(0, w - s.count)) + s
        }
        var out = ""
        var chars = fmt.makeIterator()
        while let ch = chars.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard var d = chars.next() else { out.append("%"); break }
            var noPad = false
            if d == "-", let n = chars.next() { noPad = true; d = n }
            func num(_ v: Int, _ w: Int = 2) -> String { noPad ? String(v) : pad(v, w) }
            switch d {
            case "Y": out += String(year)
            case "y": out += num(year % 100)
            case "m": out += num(month)
            case "d": out += num(day)
            case "e": out += noPad ? String(day) : pad(day, 2, " ")
            case "H": out += num(hour)
            case "I": out += num(hour % 12 == 0 ? 12 : hour % 12)
            case "M": out += num(minute)
            case "S": out += num(second)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "B": out += monthNames[month - 1]
            case "b", "h": out += String(monthNames[month - 1].prefix(3))
            case "A": out += dayNames[weekday]
            case "a": out += String(dayNames[weekday].prefix(3))
            case "j": out += num(dayOfYear, 3)
            case "w": out += String(weekday)
            case "Z": out += tz.abbreviation(for: date) ?? ""
            case "z":
                let secs = tz.secondsFromGMT(for: date)
                out += (secs < 0 ? "-" : "+") + pad(abs(secs) / 3600) + pad(abs(secs) % 3600 / 60)
            case "F": out += "\(year)-\(pad(month))-\(pad(day))"
            case "T": out += "\(pad(hour)):\(pad(minute)):\(pad(second))"
            case "%": out += "%"
            default: out.append("%"); out.append(d)
            }
        }
        return out
    }
}
