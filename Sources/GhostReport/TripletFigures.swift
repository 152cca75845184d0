import Foundation
import GhostAnalysis
import GhostIO
import GhostTensor

/// triplet-<label>.png: one pair's source map, target map and the d×d fit of the target, side by side.
public enum TripletFigures {
    /// Writes one PNG per triplet into `dir`; returns the paths.
    public static func write(_ triplets: [FitTriplet], to dir: String) throws -> [String] {
        try triplets.map { t in
            let (H, W) = (t.height, t.width)
            let three = Tensor(shape: [3, H, W], values: (t.source + t.target + t.fitted).map { Float($0) })
            var grid = FeatureMapGrid()
            grid.columns = 3
            grid.scale = max(1, 160 / max(W, 1))
            grid.padding = 8
            grid.normalization = .global
            let p = t.pair
            let caption = "\(p.layer) \(p.a) -> \(p.b): source, target, fit d=\(t.fit.d) "
                + "(MSE \(String(format: "%.2f", t.fit.mse * 1e3))e-3)"
            let path = dir + "/triplet-\(t.label).png"
            try PNGFile.write(ScanFigures.captioned(grid.render(three), caption), to: path)
            return path
        }
    }
}
