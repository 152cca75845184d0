import GhostIO
import GhostModels
import GhostTensor

/// Layer similarity between two models on the same images: both run batch by batch (eval mode), each
/// observed layer's output is reduced to its minibatch Gram matrix at once (never kept), and the linear CKA
/// of every compared layer pair accumulates over the batches — memory is flat in the number of images.
public struct SimilarityRun {
    /// Which pairs of layers are compared.
    public enum Pairing: String, Codable {
        /// Layer i of A with layer i of B (the same-named layers).
        case sameName = "same-name"
        /// Every layer of A with every layer of B (the full matrix).
        case cross
    }

    public let layersA: [String]
    public let layersB: [String]
    public let pairing: Pairing
    /// cka[i][j]: layer i of A against layer j of B (same-name: one column per row, j = i).
    public private(set) var cka: [[LinearCKA]]
    /// Images in batches of fewer than 4 (the unbiased estimator's minimum), left out.
    public private(set) var skippedImages = 0

    /// Same-name pairing compares `layersA` (which must equal `layersB`) pairwise.
    public init(layersA: [String], layersB: [String], pairing: Pairing) throws {
        guard !layersA.isEmpty, !layersB.isEmpty else { throw GhostError("no layers to compare") }
        if pairing == .sameName, layersA != layersB {
            throw GhostError("same-name pairing needs the same layers on both sides (use --cross otherwise)")
        }
        self.layersA = layersA
        self.layersB = layersB
        self.pairing = pairing
        let columns = pairing == .cross ? layersB.count : 1
        cka = [[LinearCKA]](repeating: [LinearCKA](repeating: LinearCKA(), count: columns), count: layersA.count)
    }

    /// The layer of B compared with entry (i, j).
    public func columnLayer(_ i: Int, _ j: Int) -> String { pairing == .cross ? layersB[j] : layersB[i] }

    /// Gram matrices of the named layers of `model` on batch `x` (each reduced as soon as it is produced).
    public static func grams(_ model: ImageClassifier, _ x: Tensor,
                             layers: [String]) throws -> [String: MinibatchGram] {
        let wanted = Set(layers)
        var out: [String: MinibatchGram] = [:]
        var bad: String?
        model.train(false)
        model.observeInsideBlocks = layers.contains { $0.split(separator: ".").count == 3 }
        model.observer = { name, t in
            guard wanted.contains(name), out[name] == nil else { return }
            if t.firstNonFiniteIndex != nil { bad = name; return }
            out[name] = MinibatchGram(activations: t)
        }
        defer { model.observer = nil; model.observeInsideBlocks = false }
        _ = model(x)
        if let bad { throw GhostError("layer \(bad) produced a non-finite value (are the weights finite?)") }
        if let missing = layers.first(where: { out[$0] == nil }) {
            throw GhostError("the model never reported layer \(missing)")
        }
        return out
    }

    /// Runs both models on one batch of the same images (`xA`, `xB`: each normalised for its model) and
    /// accumulates every pair; a batch of fewer than 4 images is skipped (counted in `skippedImages`).
    public mutating func add(_ modelA: ImageClassifier, _ xA: Tensor, _ modelB: ImageClassifier, _ xB: Tensor) throws {
        precondition(xA.shape[0] == xB.shape[0], "the two batches hold different numbers of images")
        guard xA.shape[0] >= 4 else { skippedImages += xA.shape[0]; return }
        let ga = try Self.grams(modelA, xA, layers: layersA)
        let gb = try Self.grams(modelB, xB, layers: layersB)
        for i in layersA.indices {
            for j in cka[i].indices { cka[i][j].add(ga[layersA[i]]!, gb[columnLayer(i, j)]!) }
        }
    }
}
