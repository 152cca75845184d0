import GhostTensor
import GhostTrain
import XCTest

final class DistillationTests: XCTestCase {
    func testSoftLossGradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 21)
        let s = Tensor(gaussian: [3, 5], std: 2, rng: &rng), t = Tensor(gaussian: [3, 5], std: 2, rng: &rng)
        for T: Float in [1, 4] {
            let (_, g) = Distillation.softLossAndGradient(student: s, teacher: t, temperature: T)
            for i in 0..<s.count {
                let h: Float = 1e-2
                let plus = Tensor(shape: s.shape, values: s.scalars.enumerated().map { $0.offset == i ? $0.element + h : $0.element })
                let minus = Tensor(shape: s.shape, values: s.scalars.enumerated().map { $0.offset == i ? $0.element - h : $0.element })
                let numeric = (Distillation.softLossAndGradient(student: plus, teacher: t, temperature: T).loss
                    - Distillation.softLossAndGradient(student: minus, teacher: t, temperature: T).loss) / (2 * h)
                XCTAssertEqual(g.readPointer[i], numeric, accuracy: 2e-3 * max(1, abs(numeric)), "T=\(T) i=\(i)")
            }
        }
    }

    func testIdenticalTeacherGivesZeroSoftLossAndKnownValue() {
        let s = Tensor(shape: [1, 2], values: [0, 0]), t = Tensor(shape: [1, 2], values: [0, 2 * logf(3)])
        XCTAssertEqual(Distillation.softLossAndGradient(student: s, teacher: s, temperature: 3).loss, 0, accuracy: 1e-7)
        // T = 2: teacher probabilities (1/4, 3/4), student (1/2, 1/2): T²·KL = 4·(¼ln½ + ¾ln(3/2)).
        let want = 4 * (0.25 * logf(0.5) + 0.75 * logf(1.5))
        XCTAssertEqual(Distillation.softLossAndGradient(student: s, teacher: t, temperature: 2).loss, want, accuracy: 1e-5)
    }
}
