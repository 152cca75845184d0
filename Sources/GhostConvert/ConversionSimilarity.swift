import GhostAnalysis
import GhostModels
import GhostTensor

/// Linear CKA per residual block between the original and the converted model, on the calibration images:
/// how far each block's representation moved (1 = the same up to rotation and scale). Reuses `SimilarityRun`
/// (unbiased minibatch HSIC, one Gram matrix per block and minibatch, memory flat in the number of images). The
/// minibatches are the calibration batches' parts of `CalibrationBatches.forwardImages` images, so both forward passes
/// hold a part's activations, not a whole batch's.
public enum ConversionSimilarity {
    /// The CKA of one block's output.
    public struct Layer: Codable, Equatable {
        public let layer: String
        /// nil when a batch had no variance at that layer.
        public let cka: Double?
        public init(layer: String, cka: Double?) { self.layer = layer; self.cka = cka }
    }

    /// CKA per block of `original` vs `converted` over `batches` (minibatches below 4 images are skipped).
    public static func perBlock(_ original: ImageClassifier, _ converted: ImageClassifier,
                                batches: CalibrationBatches) throws -> [Layer] {
        let layers = original.blockNames
        var run = try SimilarityRun(layersA: layers, layersB: layers, pairing: .sameName)
        for i in 0..<batches.count {
            let batch = try batches.batch(i)
            for part in CalibrationBatches.parts(of: batch) {
                let x = CalibrationBatches.images(part, of: batch)
                try run.add(original, x, converted, x)
            }
        }
        return layers.indices.map { Layer(layer: layers[$0], cka: run.cka[$0][0].value) }
    }
}
