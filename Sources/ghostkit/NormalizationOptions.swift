import ArgumentParser
import GhostData
import GhostIO
import GhostReport

/// `--mean`/`--std` for commands that normalise images.
struct NormalizationOptions: ParsableArguments {
    @Option(help: "Per-channel input mean, comma-separated (e.g. 0.485,0.456,0.406).") var mean: CommaSeparated<Float>?
    @Option(help: "Per-channel input std, comma-separated (e.g. 0.229,0.224,0.225).") var std: CommaSeparated<Float>?

    /// The given normalisation (one value is repeated over all channels), or nil when neither option is given.
    func normalization(channels: Int) throws -> Normalization? {
        guard mean != nil || std != nil else { return nil }
        guard let m = mean, let s = std else { throw ValidationError("--mean and --std go together") }
        func values(_ given: CommaSeparated<Float>, _ option: String) throws -> [Float] {
            let f = given.items
            guard f.allSatisfy(\.isFinite) else { throw ValidationError("\(option) values must be finite numbers") }
            if f.count == 1 { return Array(repeating: f[0], count: channels) }
            guard f.count == channels else {
                throw ValidationError("\(option) has \(f.count) values but the model has \(channels) input channels")
            }
            return f
        }
        let n = Normalization(mean: try values(m, "--mean"), std: try values(s, "--std"))
        guard n.std.allSatisfy({ $0 > 0 }) else { throw ValidationError("--std values must be > 0") }
        return n
    }
}
