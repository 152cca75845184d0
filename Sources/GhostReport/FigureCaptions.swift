/// Captions that say what each figure GhostKit writes shows, keyed by file name.
public enum FigureCaptions {
    /// The caption of figure file `name` (nil: not a GhostKit figure; the caller falls back to the name).
    public static func caption(_ name: String) -> String? {
        let stem = Figure.basePath(name)
        for colour in ["red", "green", "blue"] {
            if stem == "pair-" + colour {
                return
                    "Close-up of the \(colour) pair of Figure 1: the two channels' maps side by side, each scaled to "
                    + "its own range, with their Pearson r."
            }
            if stem == "triplet-" + colour {
                return "The \(colour) pair: source map, target map and the target reconstructed from the source by the "
                    + "largest d×d depthwise kernel fitted, on one grey scale, with its MSE."
            }
        }
        if stem.hasPrefix("grid-") && stem.hasSuffix("-resnet") {
            return "One image's feature maps of the converted conv in the original ResNet; red outlines mark the "
                + "channels the Ghost model regenerates cheaply."
        }
        if stem.hasPrefix("grid-") && stem.hasSuffix("-ghost") {
            return
                "The same conv's maps in the Ghost-ResNet (the Ghost module's output), same channel order and outlines."
        }
        if stem.hasSuffix("-curve") || stem == "curve" {
            return "Training curves: loss (training objective and test cross-entropy) and accuracy per epoch."
        }
        switch stem {
        case "redundancy":
            return "Share of each layer's channels that have a ghost partner (Pearson r at or above the threshold)."
        case "figure1":
            return "Figure 1 analogue: one test image's feature maps of one layer, the three most similar "
                + "disjoint channel pairs outlined in red, green and blue."
        case "mse-vs-d":
            return "MSE of the best d×d depthwise fit from source to target map against d: the three "
                + "Figure-1 pairs, the median ghost pair and the median random pair (control)."
        case "accuracy-vs-macs": return "Test accuracy against multiply-accumulates per image, one marker per model."
        default:
            if stem.hasSuffix("accuracy-vs-macs") { return caption("accuracy-vs-macs.png") }
            return nil
        }
    }
}
