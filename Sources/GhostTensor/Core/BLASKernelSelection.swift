import CBLAS
import Foundation

/// Which kernels OpenBLAS runs. It picks them when the library loads (from the CPU, or from the
/// OPENBLAS_CORETYPE variable), before any of our code runs. Some machine images pin
/// OPENBLAS_CORETYPE=Haswell: on an AVX-512 CPU (e.g. Zen 5) that costs about 1.3× in sgemm-bound work
/// (ResNet-18 forward 23.5 → 31.5 img/s here with SKYLAKEX). GhostKit respects the setting and says so in
/// `bench`.
public enum BLASKernelSelection {
    /// The kernel family OpenBLAS is using ("Haswell", "SkylakeX", "Zen", …).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Whether the CPU has the AVX-512 subsets OpenBLAS's SkylakeX kernels use (F, BW, DQ, VL).
    static func cpuHasAVX512() -> Bool {
        // /proc files report size 0, so read them with stdio until EOF rather than by their size.
        guard let f = fopen("/proc/cpuinfo", "r") else { return false }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var flags: String?
        while flags == nil, getline(&line, &capacity, f) > 0, let l = line {
            let text = String(cString: l)
            if text.hasPrefix("flags") { flags = text }
        }
        guard let flags else { return false }
        let set = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
        return ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(set.contains)
    }

    /// A hint for `bench`: the variable setting that would use AVX-512 kernels here, or nil.
    public static var avx512Hint: String? {
        ["Haswell", "Zen"].contains(coreName) && cpuHasAVX512()
            ? "OpenBLAS uses its \(coreName) (AVX2) kernels on this AVX-512 CPU; OPENBLAS_CORETYPE=SKYLAKEX selects " +
                "the AVX-512 ones"
            : nil
    }
}
