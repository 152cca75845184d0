import CBLAS
import Foundation

/// Effective rank of a symmetric positive semi-definite matrix (Roy & Vetterli 2007): exp of the Shannon
/// entropy of its eigenvalues normalised to sum 1 (for such a matrix they are its singular values).
/// 1 when one direction carries everything, n when all n are equal; a channel covariance's effective rank is
/// how many channels' worth of independent directions a layer's maps really span.
public enum EffectiveRank {
    /// Eigenvalues of a symmetric n × n matrix (row-major), ascending (LAPACK dsyev); nil if it fails.
    public static func eigenvalues(symmetric a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n, "\(a.count) values are not a \(n)×\(n) matrix")
        guard n > 0 else { return [] }
        var m = a, w = [Double](repeating: 0, count: n)
        var size = Int32(n), info: Int32 = 0, lwork: Int32 = -1, query = 0.0
        let jobz: CChar = 0x4E, uplo: CChar = 0x55  // "N": eigenvalues only, "U": either triangle (symmetric)
        var j = jobz, u = uplo
        dsyev_(&j, &u, &size, &m, &size, &w, &query, &lwork, &info)  // workspace query
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: max(Int(lwork), 1))
        dsyev_(&j, &u, &size, &m, &size, &w, &work, &lwork, &info)
        return info == 0 ? w : nil
    }

    /// exp(−Σ p_k log p_k), p_k = λ_k / Σλ over the eigenvalues λ of `a` (rounding negatives clamped to 0);
    /// nil for a zero matrix or a failed decomposition.
    public static func of(symmetric a: [Double], n: Int) -> Double? {
        guard let lambda = eigenvalues(symmetric: a, n: n) else { return nil }
        let positive = lambda.map { max($0, 0) }
        let total = positive.reduce(0, +)
        guard total > 0 else { return nil }
        var h = 0.0
        for l in positive where l > 0 { let p = l / total; h -= p * Foundation.log(p) }
        return Foundation.exp(h)
    }
}
