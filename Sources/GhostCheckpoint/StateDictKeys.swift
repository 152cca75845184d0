import GhostIO
import GhostTensor

/// A user rule `--rename FROM=TO`: a prefix rule ("linear=fc" turns "linear.weight" into "fc.weight") or,
/// when FROM contains `*`, a glob whose `*`s (any text, dots included) are substituted in order into TO's `*`s
/// ("layers.*.conv=layer*.conv").
public struct RenameRule: Equatable, Sendable {
    public let from: String
    public let to: String

    /// Parses "FROM=TO" (TO may be empty: "module.=" strips a prefix).
    public init(_ spec: String) throws {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
            throw GhostError(
                "--rename expects FROM=TO (a prefix, or a glob with *), got \(SafetensorsFile.quotedName(spec))")
        }
        from = String(spec[..<eq])
        to = String(spec[spec.index(after: eq)...])
        guard to.filter({ $0 == "*" }).count <= from.filter({ $0 == "*" }).count else {
            throw GhostError("--rename \(spec): TO has more * than FROM")
        }
    }

    /// The renamed key, or nil when the rule does not match.
    public func apply(_ key: String) -> String? {
        guard from.contains("*") else {
            return key.hasPrefix(from) ? to + key.dropFirst(from.count) : nil
        }
        guard let captures = Self.match(Array(from), Array(key)) else { return nil }
        var out = ""
        var i = 0
        for c in to {
            if c == "*" {
                out += i < captures.count ? captures[i] : ""
                i += 1
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Captures of each `*` when `pattern` matches all of `text` (leftmost-shortest), else nil.
    static func match(_ pattern: [Character], _ text: [Character]) -> [String]? {
        func go(_ p: Int, _ t: Int) -> [String]? {
            if p == pattern.count { return t == text.count ? [] : nil }
            if pattern[p] == "*" {
                var end = t
                while end <= text.count {
                    if let rest = go(p + 1, end) { return [String(text[t..<end])] + rest }
                    end += 1
                }
                return nil
            }
            guard t < text.count, text[t] == pattern[p] else { return nil }
            return go(p + 1, t + 1)
        }
        return go(0, 0)
    }
}

/// Finding and normalising the state dict of a checkpoint made elsewhere: the dict of tensors inside a
/// training wrapper, DataParallel's "module." prefixes, user renames, and name suggestions on mismatch.
public enum StateDictKeys {
    /// Keys that wrap a state dict in training checkpoints, in the order they are tried.
    public static let wrapperKeys = [
        "state_dict", "model_state_dict", "model", "net", "network", "model_state", "state",
    ]

    /// Tensors of the state dict inside a PyTorch object (flattened with dots), and the plain values
    /// around it (epoch, best_prec1, …) as "extras".
    public static func extract(
        _ root: TorchValue, name: String
    )
        throws -> (tensors: [(String, Tensor, SafetensorsDType)], extras: [(String, String)])
    {
        let (found, extras) = try leaves(root, name: name)
        let tensors = found.compactMap { k, v -> (String, Tensor, SafetensorsDType)? in
            if case .tensor(let t, let dtype) = v { return (k, t, dtype) } else { return nil }
        }
        return (tensors, extras)
    }

    /// The state dict's keys and shapes in a listing (`TorchCheckpoint.listing`), found as `extract` finds them.
    public static func extractShapes(_ root: TorchValue, name: String) throws -> [(String, [Int])] {
        try leaves(root, name: name).leaves.compactMap { k, v -> (String, [Int])? in
            switch v {
            case .tensor(let t, _): return (k, t.shape)
            case .tensorShape(let shape, _): return (k, shape)
            default: return nil
            }
        }
    }

    static func isTensor(_ v: TorchValue) -> Bool {
        switch v {
        case .tensor, .tensorShape: return true
        default: return false
        }
    }

    /// The tensor leaves of the state dict (`.tensor` or `.tensorShape`) and the plain values around it.
    static func leaves(
        _ root: TorchValue, name: String
    )
        throws -> (leaves: [(String, TorchValue)], extras: [(String, String)])
    {
        guard case .dict(let top) = root else {
            throw GhostError.file(name, "holds a \(describe(root)), not a dict of tensors")
        }
        func hasTensors(_ v: TorchValue) -> Bool {
            if case .dict(let d) = v { return d.contains { isTensor($0.1) } }
            return false
        }
        var chosen: String?
        if top.contains(where: { isTensor($0.1) }) {
            chosen = nil
        } else if let k = wrapperKeys.first(where: { k in top.contains { $0.0 == k && hasTensors($0.1) } }) {
            chosen = k
        } else {
            let candidates = top.filter { hasTensors($0.1) }
            guard candidates.count == 1 else {
                let keys = top.prefix(12).map { "\($0.0) (\(describe($0.1)))" }.joined(separator: ", ")
                let dicts = candidates.map(\.0).joined(separator: ", ")
                throw GhostError.file(
                    name,
                    candidates.isEmpty
                        ? "no state dict of tensors found; top-level keys: \(keys)"
                        : "several dicts of tensors (\(dicts)); cannot tell which is the model"
                )
            }
            chosen = candidates[0].0
        }
        var tensors: [(String, TorchValue)] = []
        var extras: [(String, String)] = []
        func flatten(_ prefix: String, _ v: TorchValue, inStateDict: Bool) {
            switch v {
            case .tensor, .tensorShape:
                if inStateDict { tensors.append((prefix, v)) } else { extras.append((prefix, describe(v))) }
            case .dict(let d):
                if inStateDict {
                    for (k, x) in d { flatten(prefix.isEmpty ? k : prefix + "." + k, x, inStateDict: true) }
                } else {
                    extras.append((prefix, "dict of \(d.count)"))
                }
            case .scalar(let s): extras.append((prefix, s))
            case .other(let s): extras.append((prefix, s))
            }
        }
        for (k, v) in top {
            if let c = chosen {
                flatten(k, v, inStateDict: k == c)
            } else {
                if isTensor(v) {
                    flatten(k, v, inStateDict: true)
                } else if case .dict = v, hasTensors(v) {
                    flatten(k, v, inStateDict: true)
                } else {
                    flatten(k, v, inStateDict: false)
                }
            }
        }
        if let c = chosen { tensors = tensors.map { (String($0.0.dropFirst(c.count + 1)), $0.1) } }
        return (tensors, extras)
    }

    /// Strips DataParallel's "module." prefix, maps the popular CIFAR code bases' names onto torchvision's
    /// (`layoutAlias`), then applies the rename rules in order; duplicate results are an error.
    public static func normalise<T>(
        _ entries: [(String, T)], renames: [RenameRule], name: String
    ) throws -> [(String, T)] {
        var seen: [String: String] = [:]
        var out: [(String, T)] = []
        let stripped = entries.map { $0.0.hasPrefix("module.") ? String($0.0.dropFirst(7)) : $0.0 }
        let linearHead = stripped.contains("linear.weight") && !stripped.contains("fc.weight")
        for ((k, v), plain) in zip(entries, stripped) {
            var key = layoutAlias(plain, linearHead: linearHead)
            for r in renames { if let n = r.apply(key) { key = n } }
            if let other = seen[key] {
                throw GhostError.file(
                    name,
                    "keys \(SafetensorsFile.quotedName(other)) and \(SafetensorsFile.quotedName(k)) both become "
                        + "\(SafetensorsFile.quotedName(key))"
                )
            }
            seen[key] = k
            out.append((key, v))
        }
        return out
    }

    /// torchvision's name for a key of akamaster/pytorch_resnet_cifar10 or kuangliu/pytorch-cifar style code: the
    /// head `linear.` becomes `fc.` (when `linearHead`: the file has no `fc.weight`) and a block's
    /// `shortcut.0/.1` projection becomes `downsample.0/.1`; other keys are returned unchanged.
    public static func layoutAlias(_ key: String, linearHead: Bool) -> String {
        if linearHead && key.hasPrefix("linear.") { return "fc." + key.dropFirst(7) }
        let parts = key.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].hasPrefix("layer"), Int(parts[1]) != nil, parts[2] == "shortcut" {
            return "\(parts[0]).\(parts[1]).downsample.\(parts[3])"
        }
        return key
    }

    /// " — closest names in the file: fc.weight ← linear.weight, …; try --rename linear=fc" for a failed load ("" when
    /// none).
    public static func suggestion(for report: LoadReport) -> String {
        guard !report.missing.isEmpty, !report.unexpected.isEmpty else { return "" }
        var pairs: [String] = []
        var renames: [String] = []
        for m in report.missing.prefix(6) {
            let tail = m.split(separator: ".").last.map { "." + $0 } ?? m
            guard let best = report.unexpected.min(by: { editDistance(m, $0) < editDistance(m, $1) }),
                editDistance(m, best) <= max(m.count, best.count) / 2 || (best.hasSuffix(tail) && m.contains("."))
            else { continue }
            pairs.append("\(m) ← \(best)")
            // Same tail after a different head: suggest a prefix rename.
            let a = Array(m)
            let b = Array(best)
            var s = 0
            while s < min(a.count, b.count), a[a.count - 1 - s] == b[b.count - 1 - s] { s += 1 }
            let headA = String(a[0..<(a.count - s)])
            let headB = String(b[0..<(b.count - s)])
            if s > 0, !headB.isEmpty, a[a.count - s] == "." || headA.hasSuffix("."),
                !renames.contains("\(headB)=\(headA)")
            {
                renames.append("\(headB)=\(headA)")
            }
        }
        guard !pairs.isEmpty else { return "" }
        return " — closest names in the file: " + pairs.joined(separator: ", ")
            + (renames.isEmpty ? "" : "; try " + renames.prefix(3).map { "--rename \($0)" }.joined(separator: " "))
    }

    /// Levenshtein distance.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }

    static func describe(_ v: TorchValue) -> String {
        switch v {
        case .tensor(let t, _): return "tensor \(t.shape)"
        case .tensorShape(let shape, _): return "tensor \(shape)"
        case .dict(let d): return "dict of \(d.count)"
        case .scalar(let s): return s.count > 40 ? String(s.prefix(40)) + "…" : s
        case .other(let s): return s
        }
    }
}
