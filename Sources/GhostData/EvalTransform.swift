import GhostIO
import GhostTensor

/// torchvision's standard evaluation preprocessing on 8-bit images: `Resize(resize)` (shorter side to `resize`,
/// longer side ⌊long · resize / short⌋, PIL's antialiased bilinear), `CenterCrop(crop)` (offsets rounded half to
/// even, as Python's round), `ToTensor` (/255). Normalisation (e.g. ImageNet's mean/std) is applied per batch.
public struct EvalTransform: Equatable {
    /// Side the shorter image side is resized to.
    public let resize: Int
    /// Side of the square centre crop: the model's input size.
    public let crop: Int

    /// The transform for a model with input side `inputSize`: ImageNet-size models (≥ 224) get torchvision's
    /// Resize(⌊inputSize / 0.875⌉) + CenterCrop(inputSize) (256 → 224); smaller models are resized straight to
    /// their input size (Resize(n) + CenterCrop(n)).
    public init(inputSize: Int) {
        precondition(inputSize > 0, "input size must be positive")
        crop = inputSize
        resize = inputSize >= 224 ? Int((Double(inputSize) / 0.875).rounded()) : inputSize
    }

    /// An explicit Resize(resize) + CenterCrop(crop).
    public init(resize: Int, crop: Int) {
        precondition(resize > 0 && crop > 0 && crop <= resize, "need 0 < crop ≤ resize")
        (self.resize, self.crop) = (resize, crop)
    }

    /// torchvision's Resize output size (width, height) for an image of `width`×`height`.
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let short = min(width, height), long = max(width, height)
        let other = long * resize / short
        return width <= height ? (resize, other) : (other, resize)
    }

    /// [channels, crop, crop] in [0, 1].
    public func apply(_ image: RasterImage) -> Tensor {
        let size = resizedSize(width: image.width, height: image.height)
        let r = PILResize.bilinear(image, width: size.width, height: size.height)
        let top = Int((Double(r.height - crop) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(r.width - crop) / 2).rounded(.toNearestOrEven))
        let c = r.channels
        let out = Tensor(uninitialized: [c, crop, crop])
        r.pixels.withUnsafeBufferPointer { src in
            for y in 0..<crop {
                let row = src.baseAddress! + ((top + y) * r.width + left) * c
                for x in 0..<crop { for ch in 0..<c {
                    out.uncheckedMutablePointer[(ch * crop + y) * crop + x] = Float(row[x * c + ch]) / 255
                } }
            }
        }
        return out
    }
}
