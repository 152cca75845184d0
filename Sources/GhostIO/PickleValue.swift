

/// A value built by the restricted unpickler (`Pickle`). Nothing in it was ever executed: calls of
/// allow-listed globals (REDUCE, NEWOBJ) are recorded as `PickleObject`s for the caller to interpret.
public enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits (LONG1/LONG4), little-endian two's complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleContainer)
    case list(PickleContainer)
    case dict(PickleDict)
    /// An allow-listed global ("module", "name"), e.g. ("torch", "FloatStorage").
    case global(module: String, name: String)
    /// The result of calling an allow-listed global (REDUCE / NEWOBJ), possibly with BUILD state.
    case object(PickleObject)
    /// A BINPERSID reference (for torch.save: ("storage", type, key, location, numel)).
    case persistent(PickleContainer)

    /// Nesting depth (0 for scalars).
    public var depth: Int {
        switch self {
        case .tuple(let c), .list(let c), .persistent(let c): return c.depth
        case .dict(let d): return d.depth
        case .object(let o): return o.depth
        default: return 0
        }
    }

    /// The items of a tuple or list.
    public var items: [PickleValue]? {
        switch self {
        case .tuple(let c), .list(let c): return c.items
        default: return nil
        }
    }

    public var intValue: Int? { if case .int(let v) = self { return v } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// A short description for error messages ("tuple of 3", "string", …).
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "string"
        case .bytes: return "bytes"
        case .tuple(let c): return "tuple of \(c.items.count)"
        case .list(let c): return "list of \(c.items.count)"
        case .dict(let d): return "dict of \(d.entries.count)"
        case .global(let m, let n): return "global \(m).\(n)"
        case .object(let o): return "\(o.module).\(o.name)(…)"
        case .persistent: return "persistent id"
        }
    }

    /// Marks a container as nested (no longer mutable) and returns its depth.
    func freeze() -> Int {
        switch self {
        case .tuple(let c), .list(let c), .persistent(let c): c.frozen = true; return c.depth
        case .dict(let d): d.frozen = true; return d.depth
        case .object(let o): o.frozen = true; return o.depth
        default: return 0
        }
    }
}

/// A tuple, list or persistent id. Containers become immutable once nested in another (`frozen`), so the
/// structure is a tree-like DAG without cycles and its recorded depth is exact.
public final class PickleContainer {
    public internal(set) var items: [PickleValue]
    public internal(set) var depth: Int
    var frozen = false

    init(_ items: [PickleValue], depth: Int) { self.items = items; self.depth = depth }
}

/// A dict or OrderedDict: entries in insertion order (a repeated key replaces the earlier value).
public final class PickleDict {
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    public internal(set) var depth = 1
    /// Built by collections.OrderedDict() rather than a dict literal.
    public let ordered: Bool
    var frozen = false
    private var index: [String: Int] = [:]

    init(ordered: Bool) { self.ordered = ordered }

    func set(_ key: PickleValue, _ value: PickleValue, depth d: Int) {
        depth = max(depth, d + 1)
        if case .string(let s) = key {
            if let i = index[s] { entries[i].value = value; return }
            index[s] = entries.count
        }
        entries.append((key, value))
    }

    /// The value for a string key.
    public subscript(key: String) -> PickleValue? { index[key].map { entries[$0].value } }
}

/// A call of an allow-listed global, recorded instead of executed.
public final class PickleObject {
    public let module: String
    public let name: String
    public let args: [PickleValue]
    /// The BUILD state, if any.
    public internal(set) var state: PickleValue?
    public internal(set) var depth: Int
    var frozen = false

    init(module: String, name: String, args: [PickleValue], depth: Int) {
        self.module = module; self.name = name; self.args = args; self.depth = depth
    }
}
