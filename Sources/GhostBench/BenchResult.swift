import Foundation
import GhostTensor

/// One benchmark row: a workload's timed runs at one thread count.
public struct BenchResult {
    public let workload: String
    public let threads: Int
    public let seconds: [Double]
    public let images: Int
    /// Floating-point operations per run, when the workload is a GEMM (for GFLOP/s).
    public var flops: Double? = nil

    /// A row from `seconds` per run of `images` images.
    public init(workload: String, threads: Int, seconds: [Double], images: Int, flops: Double? = nil) {
        self.workload = workload; self.threads = threads; self.seconds = seconds; self.images = images
        self.flops = flops
    }

    /// GFLOP/s of the best run ("" without `flops`).
    public var gflops: String { flops.map { String(format: "%.1f", $0 / 1e9 / (seconds.min() ?? .infinity)) } ?? "" }
    /// Images per second of the best run.
    public var best: Double { Double(images) / (seconds.min() ?? .infinity) }
    /// Images per second of the median run.
    public var median: Double { let s = seconds.sorted(); return Double(images) / s[s.count / 2] }
    /// One line for the progress log.
    public var formatted: String {
        String(format: "best %.2f img/s, median %.2f img/s", best, median) + (flops == nil ? "" : ", \(gflops) GFLOP/s")
    }

    /// A Markdown table of `rows`.
    public static func markdown(_ rows: [BenchResult]) -> String {
        var out = "| workload | threads | best img/s | median img/s | GFLOP/s |\n|---|---|---|---|---|\n"
        for r in rows {
            out += String(format: "| %@ | %d | %.2f | %.2f | %@ |\n", r.workload, r.threads, r.best, r.median, r.gflops)
        }
        return out
    }

    /// `{"openblas_core": …, "peak_rss_mib": …, "results": [...]}`; the peak RSS is the process's so far.
    public static func json(_ rows: [BenchResult]) -> String {
        let items = rows.map { r in
            String(format: "{\"workload\": \"%@\", \"threads\": %d, \"img_per_s\": %.3f, \"median_img_per_s\": %.3f, "
                   + "\"gflops\": %@}", r.workload, r.threads, r.best, r.median, r.flops == nil ? "null" : r.gflops)
        }
        return "{\"openblas_core\": \"\(BLASKernelSelection.coreName)\", "
            + String(format: "\"peak_rss_mib\": %.1f, ", peakRSSMiB) + "\"results\": [" + items.joined(separator: ", ")
            + "]}"
    }

    /// This process's peak resident set so far (getrusage), MiB.
    public static var peakRSSMiB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
