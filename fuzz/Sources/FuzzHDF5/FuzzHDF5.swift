import Foundation
import FuzzSupport
import GhostIO
import GhostTensor

/// Any bytes as an HDF5 activation dump, through the calls `grid --dump` and `fit-kernels --scan` make: open
/// (`ActivationReader(image:name:)`: the bytes as an in-memory file image, so no file is written or opened per
/// input; after the open it is the same code as `ActivationReader(path:)`), then each layer's shape, its first
/// row, all its rows, the inputs and the labels. An accepted read must hold exactly the elements its shape claims
/// and stay within `ActivationLimits.maxReadBytes`.
@main enum FuzzHDF5: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let r = try? ActivationReader(image: bytes, name: "fuzz.h5") else { return }
        _ = try? r.labels()
        for name in ["inputs"] + r.layerNames.prefix(8).map({ "layers/" + $0 }) {
            guard let shape = try? r.shape(name) else { continue }
            check(try? r.read(name, start: 0, count: 1), [1] + shape.dropFirst())
            check(try? r.read(name), shape)
        }
    }

    static func check(_ t: Tensor?, _ shape: [Int]) {
        guard let t else { return }
        precondition(t.shape == shape, "read gave \(t.shape), shape said \(shape)")
        precondition(t.count * 4 <= ActivationLimits.maxReadBytes, "read of \(t.count) floats is over the budget")
    }
}

/// ASan options of this target: libhdf5 (not instrumented) asks malloc for absurd sizes a corrupt file claims and
/// handles the NULL it gets in a normal process ("not a readable HDF5 file"), so here malloc returns NULL too instead of
/// aborting. Swift's own allocations still trap on NULL, and -rss_limit_mb still catches a real large allocation.
@_cdecl("__asan_default_options") public func asanDefaultOptions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(StaticString("allocator_may_return_null=1").utf8Start).assumingMemoryBound(to: CChar.self)
}

/// LeakSanitizer suppressions: libhdf5 leaks small blocks on some of its own error paths while refusing a corrupt
/// file (every HDF5 object GhostKit opens is closed).
@_cdecl("__lsan_default_suppressions") public func lsanDefaultSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(StaticString("leak:libhdf5\n").utf8Start).assumingMemoryBound(to: CChar.self)
}

/// ASan suppressions: reports from interceptors (strdup, memcpy…) called inside libhdf5 are libhdf5's own bugs (it is
/// not instrumented, like libpng in the PNG target); GhostKit's code is still checked everywhere.
@_cdecl("__asan_default_suppressions") public func asanDefaultSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(StaticString("interceptor_via_lib:libhdf5\n").utf8Start).assumingMemoryBound(to: CChar.self)
}
