import Foundation
import GhostAnalysis

/// triplet-<label>.png/.svg/.pdf: one pair's source map, target map and the d×d fit of the target, side by side.
public enum TripletFigures {
    /// Writes each triplet's files into `dir`; returns the paths.
    public static func write(_ triplets: [FitTriplet], model: String, to dir: String) throws -> [String] {
        try triplets.flatMap { t in
            try FitKernelsFigures.triplet(layer: t.pair.layer, source: t.pair.a, target: t.pair.b,
                                          maps: (t.source, t.target, t.fitted), height: t.height, width: t.width,
                                          d: t.fit.d, mse: t.fit.mse, model: model, image: t.image)
                .write(to: dir + "/triplet-\(t.label).png")
        }
    }
}
