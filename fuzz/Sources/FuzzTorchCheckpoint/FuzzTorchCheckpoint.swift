import Foundation
import FuzzSupport
import GhostIO

/// Any bytes as a torch.save file (zip archive or legacy format) through the restricted unpickler;
/// every tensor an accepted file yields must hold exactly as many values as its shape claims.
@main enum FuzzTorchCheckpoint: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let ckpt = try? TorchCheckpoint.parse(data: Data(bytes), name: "fuzz.pth") else { return }
        check(ckpt.root, depth: 0)
    }

    static func check(_ v: TorchValue, depth: Int) {
        precondition(depth < 10_000, "nesting deeper than the unpickler allows")
        switch v {
        case .tensor(let t, _): precondition(t.shape.reduce(1, *) == t.count, "shape \(t.shape) vs \(t.count) values")
        case .dict(let items): for (_, x) in items { check(x, depth: depth + 1) }
        case .scalar, .other, .tensorShape: break
        }
    }
}
