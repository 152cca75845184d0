import ArgumentParser
import GhostCheckpoint
import GhostTensor

/// State-dict key options of commands that read checkpoints made elsewhere (PyTorch .pth, timm safetensors).
struct KeyOptions: ParsableArguments {
    @Option(
        name: .customLong("rename"),
        help: ArgumentHelp(
            "Rename keys FROM=TO after \"module.\" is stripped: a prefix (linear=fc) or a glob with * "
                + "(layers.*.conv=layer*.conv); repeatable, applied in order.",
            valueName: "FROM=TO"))
    var renames: [String] = []
    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp("Require every model key, and only those, with matching shapes (--no-strict loads what "
            + "matches and lists the rest)."))
    var strict = true

    func rules() throws -> [RenameRule] {
        do { return try renames.map(RenameRule.init) } catch let e as GhostError { throw ValidationError(e.message) }
    }
}
