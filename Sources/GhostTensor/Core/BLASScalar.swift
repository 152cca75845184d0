import CBLAS

/// The signature of a row-major-capable CBLAS GEMM routine (cblas_sgemm, cblas_dgemm).
public typealias CBLASGEMM<T> = (
    CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, T, UnsafePointer<T>?, blasint,
    UnsafePointer<T>?, blasint, T, UnsafeMutablePointer<T>?, blasint
) -> Void

/// A scalar type OpenBLAS multiplies matrices of: `gemm` calls its CBLAS routine.
public protocol BLASScalar: BinaryFloatingPoint {
    /// The CBLAS GEMM of this precision.
    static var cblasGEMM: CBLASGEMM<Self> { get }
}

extension Float: BLASScalar {
    /// cblas_sgemm.
    @inline(__always) public static var cblasGEMM: CBLASGEMM<Float> { cblas_sgemm }
}

extension Double: BLASScalar {
    /// cblas_dgemm.
    @inline(__always) public static var cblasGEMM: CBLASGEMM<Double> { cblas_dgemm }
}
