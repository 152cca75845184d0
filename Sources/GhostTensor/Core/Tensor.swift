import Foundation

/// Reference-counted, 64-byte aligned Float32 storage shared by `Tensor` values (copy-on-write).
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` floats; zero-filled when `zeroed` is true.
    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        let raw = BufferPool.allocate(max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }

    func copy() -> TensorStorage {
        let s = TensorStorage(count: count, zeroed: false)
        s.pointer.update(from: pointer, count: count)
        return s
    }
}

/// A dense, row-major Float32 tensor. Images are NCHW. Value semantics with copy-on-write storage.
public struct Tensor {
    public private(set) var shape: [Int]
    public private(set) var storage: TensorStorage

    /// Number of elements.
    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    /// An NCHW (or [N, C]) tensor as N·C planes: N, C and the elements of one plane (H·W; 1 for [N, C]).
    public var planes: (n: Int, c: Int, size: Int) {
        let (n, c) = (shape[0], shape[1])
        return (n, c, count / max(n * c, 1))
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// An uninitialised tensor: every element must be written before it is read.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *), zeroed: false)
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        storage.pointer.update(repeating: value, count: count)
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public init(shape: [Int], values: [Float]) {
        precondition(
            shape.reduce(1, *) == values.count,
            "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Wraps an existing storage (no copy).
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Size of dimension `i` (negative counts from the end).
    public func dim(_ i: Int) -> Int { shape[i < 0 ? shape.count + i : i] }

    /// Elements as an Array (copies).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// Same storage viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = known == 0 ? 0 : count / known
        }
        return Tensor(shape: s, storage: storage)
    }

    /// Read-only access to the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Mutable access to the elements; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Ensures this value owns its storage exclusively.
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Raw pointer for GhostTensor's kernels on a tensor they just created (caller guarantees uniqueness).
    var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// Read-only access to the scalars (contiguous, row-major), valid while this tensor value lives.
    public var readPointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// Writable access that does NOT copy shared storage (no copy-on-write): only for a tensor the caller has
    /// just created and not yet shared, e.g. to fill a fresh `Tensor(uninitialized:)`. Otherwise use
    /// `withUnsafeMutableBufferPointer`, which copies first.
    public var uncheckedMutablePointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// Element at a multi-index (slow; for tests and small lookups).
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set {
            makeUnique()
            storage.pointer[flatIndex(index)] = newValue
        }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) != tensor rank \(shape.count)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// Largest absolute element.
    public var maxAbs: Float {
        withUnsafeBufferPointer { b in b.reduce(0) { max($0, abs($1)) } }
    }

    /// Index of the first NaN or ±Inf element, or nil when all are finite (one branch-free pass when they are).
    public var firstNonFiniteIndex: Int? {
        withUnsafeBufferPointer { b in
            var probe: Float = 0  // x * 0 is NaN exactly when x is NaN or ±Inf
            for v in b { probe += v * 0 }
            return probe.isNaN ? b.firstIndex { !$0.isFinite } : nil
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 8 ? ", …" : "")])"
    }
}
