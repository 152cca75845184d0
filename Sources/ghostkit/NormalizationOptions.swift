import ArgumentParser
import GhostData
import GhostIO
import GhostReport

/// `--mean`/`--std` for commands that normalise images.
struct NormalizationOptions: ParsableArguments {
    @Option(help: "Per-channel input mean, comma-separated (e.g. 0.485,0.456,0.406).") var mean: String?
    @Option(help: "Per-channel input std, comma-separated (e.g. 0.229,0.224,0.225).") var std: String?

    /// The given normalisation (one value is repeated over all channels), or nil when neither option is given.
    func normalization(channels: Int) throws -> Normalization? {
        guard mean != nil || std != nil else { return nil }
        guard let m = mean, let s = std else { throw ValidationError("--mean and --std go together") }
        func parse(_ text: String, _ option: String) throws -> [Float] {
            let v = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !v.isEmpty, v.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw ValidationError("\(option) must be comma-separated numbers, got '\(text)'")
            }
            let f = v.map { $0! }
            if f.count == 1 { return Array(repeating: f[0], count: channels) }
            guard f.count == channels else {
                throw ValidationError("\(option) has \(f.count) values but the model has \(channels) input channels")
            }
            return f
        }
        let n = Normalization(mean: try parse(m, "--mean"), std: try parse(s, "--std"))
        guard n.std.allSatisfy({ $0 > 0 }) else { throw ValidationError("--std values must be > 0") }
        return n
    }
}
