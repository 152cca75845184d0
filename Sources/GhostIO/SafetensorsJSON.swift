import Foundation
import GhostTensor

#if canImport(Glibc)
import Glibc
#endif


/// The strict JSON reader used for safetensors headers.
extension SafetensorsFile {
    // MARK: - JSON

    /// A parsed JSON value; integers that fit `Int` are kept exactly, other numbers as their text.
    indirect enum JSON {
        case null
        case bool(Bool)
        case int(Int)
        case number(String)
        case string(String)
        case array([JSON])
        case object([(key: String, value: JSON)])

        /// "a string", "a list", … for messages.
        var kind: String {
            switch self {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int, .number: return "a number"
            case .string: return "a string"
            case .array: return "a list"
            case .object: return "an object"
            }
        }

        /// The value itself when short (numbers, booleans), else its kind.
        var brief: String {
            switch self {
            case .null: return "null"
            case .bool(let b): return "\(b)"
            case .int(let v): return "\(v)"
            case .number(let s): return s.count <= 40 ? s : String(s.prefix(37)) + "…"
            case .string(let s): return "the string \(SafetensorsFile.quoted(s))"
            case .array(let a)
            where a.count <= 4 && a.allSatisfy({ if case .int = $0 { return true } else { return false } }):
                return "[" + a.map(\.brief).joined(separator: ", ") + "]"
            default: return kind
            }
        }
    }

    /// A strict RFC 8259 parser over bytes already validated as UTF-8. Bounded nesting (no stack overflow
    /// on hostile input), exact integers with overflow detection, duplicate keys rejected.
    struct JSONParser {
        struct Failure: Error { let message: String }

        static let maxDepth = 64
        private let p: UnsafeBufferPointer<UInt8>
        private var i = 0
        private var depth = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) { p = bytes }

        /// One value surrounded by optional whitespace.
        mutating func parseDocument() throws -> JSON {
            skipSpace()
            let v = try value()
            skipSpace()
            guard i == p.count else { throw fail("unexpected \(describeByte()) after the top-level value") }
            return v
        }

        private func fail(_ what: String) -> Failure { Failure(message: "\(what) at byte \(i) of the header") }

        private func describeByte() -> String {
            guard i < p.count else { return "end" }
            let b = p[i]
            return b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + String(b, radix: 16)
        }

        private mutating func skipSpace() {
            while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        }

        private mutating func value() throws -> JSON {
            guard i < p.count else { throw fail("unexpected end") }
            switch p[i] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected \(describeByte())")
            }
        }

        private mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard p.count - i >= n, memcmp(p.baseAddress! + i, word.utf8Start, n) == 0 else {
                throw fail("unexpected \(describeByte())")
            }
            i += n
        }

        private mutating func enter() throws {
            depth += 1
            guard depth <= Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        }

        private mutating func object() throws -> JSON {
            var members: [(key: String, value: JSON)] = []
            var keys = Set<String>()
            try container(closing: "}", named: "an object") {
                guard $0.i < $0.p.count, $0.p[$0.i] == UInt8(ascii: "\"") else {
                    throw $0.fail("expected a string key, found \($0.describeByte())")
                }
                let keyStart = $0.i
                let key = try $0.string()
                guard keys.insert(key).inserted else {
                    $0.i = keyStart
                    throw $0.fail("duplicate key \(SafetensorsFile.quoted(key))")
                }
                $0.skipSpace()
                guard $0.i < $0.p.count, $0.p[$0.i] == UInt8(ascii: ":") else {
                    throw $0.fail("expected ':', found \($0.describeByte())")
                }
                $0.i += 1
                $0.skipSpace()
                members.append((key, try $0.value()))
            }
            return .object(members)
        }

        private mutating func array() throws -> JSON {
            var items: [JSON] = []
            try container(closing: "]", named: "a list") { items.append(try $0.value()) }
            return .array(items)
        }

        /// Parses the elements of an object or list (the cursor on its opening bracket) up to and including
        /// `close`, calling `element` at the start of each one; `named` says what it is in errors.
        private mutating func container(
            closing close: Unicode.Scalar, named: String, _ element: (inout Self) throws -> Void
        ) throws {
            try enter()
            i += 1
            skipSpace()
            if i < p.count, p[i] == UInt8(ascii: close) {
                i += 1
                depth -= 1
                return
            }
            while true {
                skipSpace()
                try element(&self)
                skipSpace()
                guard i < p.count else { throw fail("unexpected end inside \(named)") }
                if p[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if p[i] == UInt8(ascii: close) {
                    i += 1
                    break
                }
                throw fail("expected ',' or '\(Character(close))', found \(describeByte())")
            }
            depth -= 1
        }

        private mutating func number() throws -> JSON {
            let start = i
            let negative = p[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            guard i < p.count, isDigit(p[i]) else { throw fail("expected a digit, found \(describeByte())") }
            var value = 0
            var exact = true
            if p[i] == UInt8(ascii: "0") {
                i += 1
                if i < p.count, isDigit(p[i]) { throw fail("number with a leading zero") }
            } else {
                while i < p.count, isDigit(p[i]) {
                    let d = Int(p[i] - UInt8(ascii: "0"))
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                    if o1 || o2 { exact = false } else { value = s }
                    i += 1
                }
            }
            if i < p.count, p[i] == UInt8(ascii: ".") {
                exact = false
                i += 1
                guard i < p.count, isDigit(p[i]) else {
                    throw fail("expected a digit after '.', found \(describeByte())")
                }
                while i < p.count, isDigit(p[i]) { i += 1 }
            }
            if i < p.count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
                exact = false
                i += 1
                if i < p.count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
                guard i < p.count, isDigit(p[i]) else {
                    throw fail("expected an exponent digit, found \(describeByte())")
                }
                while i < p.count, isDigit(p[i]) { i += 1 }
            }
            if exact { return .int(value) }
            let textEnd = min(i, start + 64)  // keep only a prefix of absurdly long numbers
            return .number(
                String(decoding: UnsafeBufferPointer(rebasing: p[start..<textEnd]), as: UTF8.self)
                    + (textEnd < i ? "…" : ""))
        }

        @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        private mutating func string() throws -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < p.count {
                let b = p[i]
                if b == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                if b == UInt8(ascii: "\\") { break }
                if b < 0x20 { throw fail("control character 0x\(String(b, radix: 16)) inside a string") }
                i += 1
            }
            guard i < p.count else { throw fail("unterminated string") }
            var buf = Array(UnsafeBufferPointer(rebasing: p[start..<i]))
            while i < p.count {
                let b = p[i]
                if b == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: buf, as: UTF8.self)
                }
                if b < 0x20 { throw fail("control character 0x\(String(b, radix: 16)) inside a string") }
                if b != UInt8(ascii: "\\") {
                    buf.append(b)
                    i += 1
                    continue
                }
                i += 1
                guard i < p.count else { break }
                let e = p[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buf.append(e)
                case UInt8(ascii: "b"): buf.append(0x08)
                case UInt8(ascii: "f"): buf.append(0x0C)
                case UInt8(ascii: "n"): buf.append(0x0A)
                case UInt8(ascii: "r"): buf.append(0x0D)
                case UInt8(ascii: "t"): buf.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard p.count - i >= 2, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired UTF-16 surrogate escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired UTF-16 surrogate escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw fail("unpaired UTF-16 surrogate escape")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                    buf.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    i -= 1
                    throw fail("invalid escape \\\(describeByte())")
                }
            }
            throw fail("unterminated string")
        }

        private mutating func hex4() throws -> UInt32 {
            guard p.count - i >= 4 else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = p[i]
                let d: UInt8
                switch b {
                case 0x30...0x39: d = b - 0x30
                case 0x41...0x46: d = b - 0x41 + 10
                case 0x61...0x66: d = b - 0x61 + 10
                default: throw fail("invalid hex digit \(describeByte()) in a \\u escape")
                }
                v = v << 4 | UInt32(d)
                i += 1
            }
            return v
        }
    }
}
