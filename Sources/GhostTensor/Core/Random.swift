/// Small deterministic PRNG (SplitMix64) so initialisation and augmentation are reproducible by seed.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / Float(1 << 24)) }
    /// Standard normal (Box–Muller).
    public mutating func nextGaussian() -> Float {
        let u1 = max(nextFloat(), 1e-7), u2 = nextFloat()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
    }
}

import Foundation

extension Tensor {
    /// Uniform values in [−bound, bound).
    public init(uniform shape: [Int], bound: Float, rng: inout SplitMix64) {
        self.init(uninitialized: shape)
        for i in 0..<count { pointer[i] = (rng.nextFloat() * 2 - 1) * bound }
    }

    /// Normal values with the given standard deviation.
    public init(gaussian shape: [Int], std: Float, rng: inout SplitMix64) {
        self.init(uninitialized: shape)
        for i in 0..<count { pointer[i] = rng.nextGaussian() * std }
    }
}
