import GhostIO
import GhostTensor

/// Augmentation applied to training batches.
public struct Augmentation: Equatable {
    /// Zero-pad by this many pixels, then crop back at a random offset (0 = off).
    public var cropPadding: Int
    public var horizontalFlip: Bool
    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }
    public static let none = Augmentation()
}

/// Deterministic mini-batches: the order of epoch e and the augmentation of each batch depend only on
/// (seed, e, batch index), so a run resumed at any batch continues exactly.
public struct BatchLoader {
    public let dataset: ImageDataset
    public let batchSize: Int
    public let normalization: Normalization
    public let augmentation: Augmentation
    public let seed: UInt64
    public let shuffle: Bool
    /// Drop the last incomplete batch (training) or keep it (evaluation).
    public let dropLast: Bool

    public init(
        dataset: ImageDataset, batchSize: Int, normalization: Normalization, augmentation: Augmentation = .none,
        seed: UInt64 = 0, shuffle: Bool = false, dropLast: Bool = false
    ) {
        self.dataset = dataset
        self.batchSize = batchSize
        self.normalization = normalization
        self.augmentation = augmentation
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
    }

    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Example order for an epoch (Fisher–Yates with a per-epoch generator).
    public func order(epoch: Int) -> [Int] {
        var idx = Array(0..<dataset.count)
        guard shuffle else { return idx }
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9 &+ UInt64(epoch) &* 0x1000_0001)
        for i in stride(from: idx.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            idx.swapAt(i, j)
        }
        return idx
    }

    /// Batch `b` of an epoch, given that epoch's `order`: normalised (and augmented) images and labels.
    public func batch(_ b: Int, order: [Int], epoch: Int) -> (images: Tensor, labels: [Int]) {
        let lo = b * batchSize
        let hi = min(lo + batchSize, order.count)
        let (C, H, W) = (dataset.channels, dataset.height, dataset.width)
        let per = C * H * W
        let x = Tensor(uninitialized: [hi - lo, C, H, W])
        var rng = SplitMix64(seed: seed ^ (UInt64(epoch) << 32 | UInt64(b)) &* 0xD1B5_4A32_D192_ED03)
        let pad = augmentation.cropPadding
        for (k, i) in order[lo..<hi].enumerated() {
            let src = dataset.images.readPointer + i * per
            let dst = x.uncheckedMutablePointer + k * per
            let dy = pad > 0 ? Int(rng.next() % UInt64(2 * pad + 1)) - pad : 0
            let dx = pad > 0 ? Int(rng.next() % UInt64(2 * pad + 1)) - pad : 0
            let flip = augmentation.horizontalFlip && rng.next() & 1 == 1
            for c in 0..<C {
                let m = normalization.mean[c % normalization.mean.count]
                let s = 1 / normalization.std[c % normalization.std.count]
                let zero = -m * s  // a padded (black) pixel after normalisation
                for y in 0..<H {
                    let sy = y + dy
                    for xx in 0..<W {
                        let sx0 = xx + dx
                        let sx = flip ? W - 1 - sx0 : sx0
                        let v: Float
                        if sy < 0 || sy >= H || sx0 < 0 || sx0 >= W {
                            v = zero
                        } else {
                            v = (src[(c * H + sy) * W + sx] - m) * s
                        }
                        dst[(c * H + y) * W + xx] = v
                    }
                }
            }
        }
        return (x, order[lo..<hi].map { dataset.labels[$0] })
    }
}
