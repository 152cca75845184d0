import ArgumentParser

/// The kernel sizes d of `--sizes`, ascending and without repeats; each must be odd and ≥ 1.
func kernelSizes(_ values: [Int]) throws -> [Int] {
    for d in values where d < 1 || d % 2 == 0 {
        throw ValidationError(
            "kernel size \(d) is invalid: d must be odd and ≥ 1 (\"same\" padding needs a centre tap)")
    }
    return Array(Set(values)).sorted()
}
