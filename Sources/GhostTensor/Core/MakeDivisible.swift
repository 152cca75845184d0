/// Channel rounding of the official GhostNet / MobileNet code (`_make_divisible`): the multiple of
/// `divisor` nearest to `v` (ties up), at least `minValue` (default `divisor`), and never more than 10 % below `v`.
public func makeDivisible(_ v: Double, _ divisor: Int, minValue: Int? = nil) -> Int {
    precondition(divisor > 0 && v >= 0, "makeDivisible(\(v), \(divisor))")
    var n = max(minValue ?? divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    if Double(n) < 0.9 * v { n += divisor }
    return n
}
