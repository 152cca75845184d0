import GhostTensor

// `GhostError` is declared in GhostTensor (Sources/GhostTensor/GhostError.swift) because GhostTensor
// itself throws it and cannot depend on GhostIO. Declaring a second type here would make the name
// ambiguous in every file that imports both modules, so GhostIO re-exports the one type instead:
// `import GhostIO` alone is enough to catch and build GhostErrors.
//
// Convention for all of GhostKit: one line naming the file (path) and the problem, e.g.
// "checkpoints/x.safetensors: header claims 4000000 bytes of tensor data but the file has only 1234 after the header".
// Build them with `GhostError.file(path, problem)`, which produces "path: problem".
@_exported import struct GhostTensor.GhostError
