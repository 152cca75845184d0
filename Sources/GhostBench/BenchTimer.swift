import Dispatch

/// Wall-clock timing of a repeated closure.
public enum BenchTimer {
    /// One warm-up run, then `iterations` timed runs; returns seconds per run.
    public static func measure(iterations: Int, _ body: () -> Void) -> [Double] {
        body()
        return (0..<iterations).map { _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
    }
}
