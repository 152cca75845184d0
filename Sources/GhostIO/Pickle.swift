import Foundation
import GhostTensor

/// A restricted unpickler for PyTorch state dicts: the binary opcodes of pickle protocols 2–5 that
/// `torch.save` emits, and only allow-listed globals. Nothing is ever imported or called: REDUCE and
/// NEWOBJ of an allowed global are recorded as `PickleObject`s (collections.OrderedDict() becomes an empty
/// `PickleDict`). Every length, index and count in the input is checked before use, nesting depth, memo,
/// stack and total allocation are bounded, and any problem is a `GhostError` "name: pickle byte N: problem".
/// Safe to run on arbitrary bytes (fuzzing entry point: `Pickle.load(data:)`).
public enum Pickle {
    /// Resource bounds.
    public struct Limits: Sendable {
        public var maxDepth = 64
        public var maxMemo = 1 << 20
        public var maxStack = 1 << 20
        /// Bytes charged for strings, bytes and container items together.
        public var maxAllocation = 1 << 30
        public init() {}
    }

    /// Globals that tensor state dicts need, as "module.name".
    public static let stateDictGlobals: Set<String> = {
        var s: Set<String> = [
            "collections.OrderedDict", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            "_codecs.encode", "numpy.core.multiarray.scalar", "numpy.dtype",
        ]
        for t in ["Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool"] {
            s.insert("torch.\(t)Storage")
        }
        return s
    }()

    /// Unpickles one pickle from `data` (the whole of it must be one pickle).
    public static func load(
        data: Data, name: String = "<pickle>", allowedGlobals: Set<String> = stateDictGlobals,
        limits: Limits = Limits()
    ) throws -> PickleValue {
        let (value, _) = try load(data: data, from: 0, name: name, allowedGlobals: allowedGlobals, limits: limits)
        return value
    }

    /// Unpickles the pickle starting at byte `offset` of `data`; returns it and the offset just past its STOP.
    public static func load(
        data: Data, from offset: Int, name: String = "<pickle>",
        allowedGlobals: Set<String> = stateDictGlobals, limits: Limits = Limits()
    ) throws -> (PickleValue, Int) {
        try data.withUnsafeBytes { raw in
            var m = Machine(bytes: raw, pos: offset, name: name, allowed: allowedGlobals, limits: limits)
            return try m.run()
        }
    }
}

/// The unpickling state machine over a byte buffer.
private struct Machine {
    let bytes: UnsafeRawBufferPointer
    var pos: Int
    let name: String
    let allowed: Set<String>
    let limits: Pickle.Limits
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    var allocated = 0
    var opStart = 0

    init(bytes: UnsafeRawBufferPointer, pos: Int, name: String, allowed: Set<String>, limits: Pickle.Limits) {
        self.bytes = bytes
        self.pos = pos
        self.name = name
        self.allowed = allowed
        self.limits = limits
    }

    func fail(_ problem: String) -> GhostError { GhostError.file(name, "pickle byte \(opStart): \(problem)") }

    // MARK: reading

    mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, pos >= 0, pos <= bytes.count, n <= bytes.count - pos else {
            throw fail("truncated: needs \(n) more bytes, \(max(0, bytes.count - pos)) left")
        }
        let s = UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
        pos += n
        return s
    }

    mutating func byte() throws -> UInt8 { try take(1)[0] }

    mutating func uintLE(_ n: Int) throws -> UInt64 {
        let b = try take(n)
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
        return v
    }

    /// A length field of `n` bytes, checked against the bytes left.
    mutating func length(_ n: Int, signed: Bool = false) throws -> Int {
        let raw = try uintLE(n)
        if signed && n == 4 && raw & 0x8000_0000 != 0 { throw fail("negative length") }
        let left = UInt64(max(0, bytes.count - pos))
        guard raw <= left else { throw fail("length \(raw) exceeds the \(left) bytes left") }
        return Int(raw)
    }

    mutating func charge(_ n: Int) throws {
        allocated += n
        guard allocated <= limits.maxAllocation else {
            throw fail("allocation over the \(limits.maxAllocation) byte limit")
        }
    }

    mutating func line() throws -> String {
        var out: [UInt8] = []
        while true {
            let b = try byte()
            if b == 0x0A { break }
            out.append(b)
            guard out.count <= 256 else { throw fail("GLOBAL name longer than 256 bytes") }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: stack

    mutating func push(_ v: PickleValue) throws {
        guard stack.count < limits.maxStack else { throw fail("stack over \(limits.maxStack) entries") }
        stack.append(v)
    }

    mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.popLast() else { throw fail("stack underflow") }
        return v
    }

    func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw fail("stack underflow") }
        return v
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("no MARK on the stack") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    /// Depth of a new container holding `items` (which become immutable), checked against the limit.
    mutating func nest(_ items: [PickleValue]) throws -> Int {
        var d = 0
        for v in items { d = max(d, v.freeze()) }
        guard d + 1 <= limits.maxDepth else { throw fail("nesting deeper than \(limits.maxDepth) levels") }
        try charge(64 + 16 * items.count)
        return d + 1
    }

    mutating func tuple(_ items: [PickleValue]) throws -> PickleValue {
        .tuple(PickleContainer(items, depth: try nest(items)))
    }

    func mutableList(_ v: PickleValue) throws -> PickleContainer {
        guard case .list(let c) = v else { throw fail("APPEND to a \(v.kind), not a list") }
        guard !c.frozen else { throw fail("list changed after being nested (cyclic structures are not supported)") }
        return c
    }

    func mutableDict(_ v: PickleValue) throws -> PickleDict {
        guard case .dict(let d) = v else { throw fail("SETITEM on a \(v.kind), not a dict") }
        guard !d.frozen else { throw fail("dict changed after being nested (cyclic structures are not supported)") }
        return d
    }

    mutating func append(_ items: [PickleValue], to c: PickleContainer) throws {
        for v in items {
            if case .list(let x) = v, x === c { throw fail("list appended to itself") }
        }
        let d = try nest(items)
        c.items.append(contentsOf: items)
        c.depth = max(c.depth, d)
    }

    mutating func setItems(_ pairs: [PickleValue], in dict: PickleDict) throws {
        guard pairs.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
        for v in pairs {
            if case .dict(let x) = v, x === dict { throw fail("dict inserted into itself") }
        }
        let d = try nest(pairs)
        var i = 0
        while i + 1 < pairs.count {
            dict.set(pairs[i], pairs[i + 1], depth: d - 1)
            i += 2
        }
    }

    mutating func global(_ module: String, _ name: String) throws -> PickleValue {
        let full = module + "." + name
        guard allowed.contains(full) else {
            throw fail(
                "refusing global \(SafetensorsFile.quoted(full)) (not on the allow-list of tensor state-dict types)")
        }
        return .global(module: module, name: name)
    }

    /// REDUCE / NEWOBJ: record the call of an allowed global.
    mutating func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let module, let gname) = callable else {
            throw fail("REDUCE on a \(callable.kind), not an allowed global")
        }
        guard case .tuple(let a) = args else { throw fail("REDUCE arguments are a \(args.kind), not a tuple") }
        switch (module, gname) {
        case ("collections", "OrderedDict"):
            guard a.items.isEmpty else { throw fail("OrderedDict called with arguments") }
            try charge(64)
            return .dict(PickleDict(ordered: true))
        case ("_codecs", "encode"):
            // protocol 2 writes bytes as _codecs.encode(text, "latin1"): decode that here, as data.
            guard a.items.count == 2, case .string(let s) = a.items[0], a.items[1].stringValue == "latin1" else {
                throw fail("_codecs.encode called with other than (str, \"latin1\")")
            }
            var out: [UInt8] = []
            for u in s.unicodeScalars {
                guard u.value < 256 else { throw fail("_codecs.encode: text is not latin-1") }
                out.append(UInt8(u.value))
            }
            try charge(out.count)
            return .bytes(out)
        default:
            let d = try nest(a.items)
            return .object(PickleObject(module: module, name: gname, args: a.items, depth: d))
        }
    }

    mutating func text(_ b: UnsafeRawBufferPointer, latin1Fallback: Bool) throws -> String {
        try charge(b.count)
        if let s = String(validating: b, as: UTF8.self) { return s }
        guard latin1Fallback else { throw fail("string is not valid UTF-8") }
        return String(String.UnicodeScalarView(b.map { Unicode.Scalar($0) }))
    }

    // MARK: the loop

    mutating func run() throws -> (PickleValue, Int) {
        guard pos >= 0, pos <= bytes.count else {
            opStart = 0
            throw fail("start offset \(pos) is outside the \(bytes.count) bytes")
        }
        while true {
            opStart = pos
            let op = try byte()
            switch op {
            case 0x80:  // PROTO
                let p = try byte()
                guard p <= 5 else { throw fail("unsupported pickle protocol \(p)") }
            case 0x95:  // FRAME: framing is transparent
                _ = try uintLE(8)
            case 0x2E:  // STOP
                let v = try pop()
                return (v, pos)
            case 0x28:
                marks.append(stack.count)  // MARK
                guard marks.count <= limits.maxStack else { throw fail("too many MARKs") }
            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4B: try push(.int(Int(try byte())))  // BININT1
            case 0x4D: try push(.int(Int(try uintLE(2))))  // BININT2
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try uintLE(4)))))  // BININT
            case 0x8A, 0x8B:  // LONG1, LONG4
                let n = op == 0x8A ? Int(try byte()) : try length(4, signed: true)
                let b = try take(n)
                try charge(n)
                if n == 0 {
                    try push(.int(0))
                    break
                }
                if n <= 8 {
                    var v: UInt64 = 0
                    for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
                    if n < 8 && b[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }
                    try push(.int(Int(Int64(bitPattern: v))))
                } else {
                    try push(.bigInt(Array(b)))
                }
            case 0x47:  // BINFLOAT (big-endian)
                let b = try take(8)
                var v: UInt64 = 0
                for i in 0..<8 { v = v << 8 | UInt64(b[i]) }
                try push(.float(Double(bitPattern: v)))
            case 0x58: try push(.string(try text(try take(try length(4)), latin1Fallback: false)))  // BINUNICODE
            case 0x8C:  // SHORT_BINUNICODE
                try push(.string(try text(try take(Int(try byte())), latin1Fallback: false)))
            case 0x8D: try push(.string(try text(try take(try length(8)), latin1Fallback: false)))  // BINUNICODE8
            case 0x54:  // BINSTRING
                try push(.string(try text(try take(try length(4, signed: true)), latin1Fallback: true)))
            case 0x55: try push(.string(try text(try take(Int(try byte())), latin1Fallback: true)))  // SHORT_BINSTRING
            case 0x42, 0x43, 0x8E, 0x96:  // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
                let n = op == 0x42 ? try length(4) : op == 0x43 ? Int(try byte()) : try length(8)
                let b = try take(n)
                try charge(n)
                try push(.bytes(Array(b)))
            case 0x7D:  // EMPTY_DICT
                try charge(64)
                try push(.dict(PickleDict(ordered: false)))
            case 0x5D:  // EMPTY_LIST
                try charge(64)
                try push(.list(PickleContainer([], depth: 1)))
            case 0x29: try push(try tuple([]))  // EMPTY_TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1/2/3
                let n = Int(op - 0x84)
                var items: [PickleValue] = []
                for _ in 0..<n { items.append(try pop()) }
                try push(try tuple(items.reversed()))
            case 0x74: try push(try tuple(try popMark()))  // TUPLE
            case 0x6C:  // LIST
                let items = try popMark()
                try push(.list(PickleContainer(items, depth: try nest(items))))
            case 0x64:  // DICT
                let items = try popMark()
                let d = PickleDict(ordered: false)
                try charge(64)
                try setItems(items, in: d)
                try push(.dict(d))
            case 0x61:  // APPEND
                let v = try pop()
                try append([v], to: try mutableList(try top()))
            case 0x65:  // APPENDS
                let items = try popMark()
                try append(items, to: try mutableList(try top()))
            case 0x73:  // SETITEM
                let v = try pop()
                let k = try pop()
                try setItems([k, v], in: try mutableDict(try top()))
            case 0x75:  // SETITEMS
                let items = try popMark()
                try setItems(items, in: try mutableDict(try top()))
            case 0x71, 0x72, 0x94:  // BINPUT, LONG_BINPUT, MEMOIZE
                let index = op == 0x71 ? Int(try byte()) : op == 0x72 ? Int(try uintLE(4)) : memo.count
                let v = try top()
                if memo[index] == nil {
                    guard memo.count < limits.maxMemo else { throw fail("memo over \(limits.maxMemo) entries") }
                    try charge(32)
                }
                memo[index] = v
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let index = op == 0x68 ? Int(try byte()) : Int(try uintLE(4))
                guard let v = memo[index] else { throw fail("memo index \(index) was never stored") }
                try push(v)
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try top())  // DUP
            case 0x63:  // GLOBAL
                let module = try line()
                let gname = try line()
                try push(try global(module, gname))
            case 0x93:  // STACK_GLOBAL
                let gname = try pop()
                let module = try pop()
                guard let m = module.stringValue, let n = gname.stringValue else {
                    throw fail("STACK_GLOBAL of non-strings")
                }
                try push(try global(m, n))
            case 0x52:  // REDUCE
                let args = try pop()
                let callable = try pop()
                try push(try call(callable, args))
            case 0x81:  // NEWOBJ
                let args = try pop()
                let cls = try pop()
                try push(try call(cls, args))
            case 0x92:  // NEWOBJ_EX
                let kwargs = try pop()
                let args = try pop()
                let cls = try pop()
                if case .dict(let k) = kwargs, !k.entries.isEmpty { throw fail("NEWOBJ_EX with keyword arguments") }
                try push(try call(cls, args))
            case 0x62:  // BUILD
                let state = try pop()
                let target = try top()
                let d = state.freeze()
                guard d + 1 <= limits.maxDepth else { throw fail("nesting deeper than \(limits.maxDepth) levels") }
                switch target {
                case .object(let o):
                    guard !o.frozen, o.state == nil else { throw fail("BUILD on an object after nesting it") }
                    o.state = state
                    o.depth = max(o.depth, d + 1)
                case .dict(let dict):
                    // OrderedDict attributes (state_dict()._metadata): kept out of the data.
                    guard !dict.frozen else { throw fail("BUILD on a dict after nesting it") }
                default:
                    throw fail("BUILD on a \(target.kind)")
                }
            case 0x51:  // BINPERSID
                let pid = try pop()
                guard case .tuple(let c) = pid else { throw fail("persistent id is a \(pid.kind), not a tuple") }
                _ = pid.freeze()
                try push(.persistent(c))
            default:
                throw fail(String(format: "unsupported opcode 0x%02x", op) + Self.opcodeName(op))
            }
        }
    }

    /// " (NAME)" for opcodes this reader deliberately refuses.
    static func opcodeName(_ op: UInt8) -> String {
        switch op {
        case 0x82, 0x83, 0x84: return " (EXT: copyreg extension registry)"
        case 0x69: return " (INST)"
        case 0x6F: return " (OBJ)"
        case 0x50: return " (PERSID, text persistent id)"
        case 0x49, 0x4C, 0x46, 0x53, 0x56: return " (protocol-0 text opcode)"
        case 0x8F, 0x90, 0x91: return " (sets)"
        case 0x97, 0x98: return " (out-of-band buffers)"
        default: return ""
        }
    }
}
