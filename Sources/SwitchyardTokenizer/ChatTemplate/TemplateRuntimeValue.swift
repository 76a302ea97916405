/// The runtime value model of the interpreter: Python objects as Jinja2 sees them.
///
/// Lists, tuples and dicts have value semantics, which is sound because the immutable
/// sandbox forbids mutating them; namespaces are the only mutable objects and are classes.
enum Value {
    /// Jinja2's default `Undefined`. `hint` is the message used when the value is misused.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// markupsafe `Markup` (from `|safe`/`|escape`): a str whose `+` HTML-escapes plain str operands.
    case markup(String)
    case list([Value])
    /// A lazy Python iterator or dict view (results of `map`, `select`, `items()`...): iterable,
    /// but not JSON serializable and (for generators) without `len()`.
    case iterator([Value], IteratorKind)
    case tuple([Value])
    case dict(PyDict)
    case namespace(Namespace)
    case callable(Callable)
    case loop(LoopState)

    static func undefinedName(_ name: String) -> Value { .undefined(hint: "'\(name)' is undefined") }

    static func missingAttribute(_ owner: Value, _ name: String) -> Value {
        .undefined(hint: "'\(owner.typeName) object' has no attribute '\(name)'")
    }

    /// Python's type name, used in error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .iterator(_, let kind): return kind.rawValue
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .callable(let c): return c.isMacro ? "Macro" : "builtin_function_or_method"
        case .loop: return "LoopContext"
        }
    }

    /// Markup behaves as a plain str everywhere except `+`; this drops the distinction.
    var normalized: Value {
        if case .markup(let s) = self { return .string(s) }
        return self
    }

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// Python truthiness (`bool(x)`); Undefined is falsy.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .iterator(let items, let kind): return kind == .generator || kind == .reverseIterator || !items.isEmpty
        case .list(let l), .tuple(let l): return !l.isEmpty
        case .dict(let d): return !d.isEmpty
        case .namespace, .callable, .loop: return true
        }
    }

    /// Converts the public input type into a runtime value.
    init(_ v: TemplateValue) {
        switch v {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(Value.init))
        case .object(let pairs):
            var d = PyDict()
            for (k, v) in pairs { d[.string(k)] = Value(v) }
            self = .dict(d)
        }
    }

    init(_ literal: Literal) {
        switch literal {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        }
    }
}

/// Python iterator / view types produced by filters and dict methods.
enum IteratorKind: String {
    case generator
    case reverseIterator = "list_reverseiterator"
    case dictItems = "dict_items"
    case dictKeys = "dict_keys"
    case dictValues = "dict_values"

    /// Views support `len()`; generators and iterators do not.
    var hasLength: Bool { self == .dictItems || self == .dictKeys || self == .dictValues }
}

/// An insertion-ordered dictionary with Python key equality (`1 == 1.0 == True`).
struct PyDict {
    private(set) var keys: [Value] = []
    private(set) var values: [Value] = []
    private var index: [DictKey: Int] = [:]

    var isEmpty: Bool { keys.isEmpty }
    var count: Int { keys.count }
    var items: [(Value, Value)] { Array(zip(keys, values)) }

    subscript(key: Value) -> Value? {
        get {
            guard let k = DictKey(key), let i = index[k] else { return nil }
            return values[i]
        }
        set {
            guard let k = DictKey(key) else { return }
            if let i = index[k] {
                if let newValue { values[i] = newValue } else { remove(at: i) }
            } else if let newValue {
                index[k] = keys.count
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    subscript(string key: String) -> Value? { self[.string(key)] }

    private mutating func remove(at i: Int) {
        keys.remove(at: i)
        values.remove(at: i)
        index = [:]
        for (j, k) in keys.enumerated() { if let dk = DictKey(k) { index[dk] = j } }
    }
}

/// Hashable projection of the Python values that can be dict keys.
enum DictKey: Hashable {
    case none
    case number(Double)
    case int(Int)
    case string(String)
    case tuple([DictKey])

    init?(_ v: Value) {
        switch v {
        case .none: self = .none
        case .bool(let b): self = .int(b ? 1 : 0)
        case .int(let i): self = .int(i)
        case .double(let d):
            if d == d.rounded(), abs(d) < 9.0e18 { self = .int(Int(d)) } else { self = .number(d) }
        case .string(let s), .markup(let s): self = .string(s)
        case .tuple(let items):
            var ks: [DictKey] = []
            for item in items { guard let k = DictKey(item) else { return nil }; ks.append(k) }
            self = .tuple(ks)
        default: return nil
        }
    }
}

/// Jinja2's `namespace(...)`: the one mutable object templates can assign attributes on.
final class Namespace {
    var attributes = PyDict()
}

/// A callable value: builtin global, bound method or macro.
final class Callable {
    typealias Body = (_ args: [Value], _ kwargs: [(String, Value)], _ interp: Interpreter) throws -> Value
    let name: String
    let isMacro: Bool
    let body: Body

    init(name: String, isMacro: Bool = false, body: @escaping Body) {
        self.name = name
        self.isMacro = isMacro
        self.body = body
    }
}

/// The `loop` variable inside `{% for %}`.
final class LoopState {
    let items: [Value]
    var index0 = 0
    let depth0: Int
    var lastChangedValue: [Value]?

    init(items: [Value], depth0: Int) {
        self.items = items
        self.depth0 = depth0
    }
}
