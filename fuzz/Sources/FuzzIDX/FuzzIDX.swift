import FuzzSupport
import GhostIO

/// Any bytes as an IDX file, plain or gzip (the Fashion-MNIST reader), parsed in memory;
/// an accepted array must hold exactly the bytes its shape claims.
@main enum FuzzIDX: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let a = try? IDX.parse([UInt8](bytes), path: "fuzz.idx.gz") else { return }
        precondition(a.shape.reduce(1, *) == a.bytes.count, "shape \(a.shape) does not match \(a.bytes.count) bytes")
    }
}
