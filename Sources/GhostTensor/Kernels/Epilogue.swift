/// What happens to a convolution's output while it is still in cache:
/// `y = relu?(y · scale[c] + shift[c] + residual)` (each part optional).
/// Eval-mode BatchNorm becomes scale/shift; a conv bias is a shift.
public struct Epilogue {
    public var scale: UnsafePointer<Float>?
    public var shift: UnsafePointer<Float>?
    /// Tensor of the output's shape added before the ReLU (residual connection).
    public var residual: UnsafePointer<Float>?
    public var relu: Bool

    public init(scale: UnsafePointer<Float>? = nil, shift: UnsafePointer<Float>? = nil,
                residual: UnsafePointer<Float>? = nil, relu: Bool = false) {
        self.scale = scale; self.shift = shift; self.residual = residual; self.relu = relu
    }

    public static let none = Epilogue()
    public var isIdentity: Bool { scale == nil && shift == nil && residual == nil && !relu }

    /// Applies the epilogue to `rows` channel rows of `cols` elements each, starting at channel
    /// `channel0`; row r lives at `data + r·ld`, its residual at `residual + residualOffset + r·ld`.
    @inline(__always)
    func apply(_ data: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, channel0: Int, residualOffset: Int) {
        if isIdentity { return }
        for r in 0..<rows {
            applyRow(from: data + r * ld, to: data + r * ld, count: cols, channel: channel0 + r,
                     residual: residual.map { $0 + residualOffset + r * ld })
        }
    }

    /// One channel row: `to[i] = relu?(from[i] · scale[channel] + shift[channel] + residualRow[i])`.
    /// `from` and `to` may be the same row; with an identity epilogue a different `to` gets a copy.
    @inline(__always)
    func applyRow(from src: UnsafePointer<Float>, to row: UnsafeMutablePointer<Float>, count cols: Int, channel: Int,
                  residual rr: UnsafePointer<Float>?) {
        let s = scale?[channel] ?? 1
        let b = shift?[channel] ?? 0
        // `v <= 0 ? 0 : v` is max(v, 0) (NaN stays NaN) written so that the loops vectorize: a call to Swift.max
        // left out of line in a large caller kept them scalar (R-50's residual ReLU: 2 % of the forward).
        if let rr = rr {
            if relu { for i in 0..<cols { let v = src[i] * s + b + rr[i]; row[i] = v <= 0 ? 0 : v } }
            else { for i in 0..<cols { row[i] = src[i] * s + b + rr[i] } }
        } else if relu {
            for i in 0..<cols { let v = src[i] * s + b; row[i] = v <= 0 ? 0 : v }
        } else if scale != nil || shift != nil {
            for i in 0..<cols { row[i] = src[i] * s + b }
        } else if src != UnsafePointer(row) {
            row.update(from: src, count: cols)
        }
    }
}
