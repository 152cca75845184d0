import CFuzzDriver
#if canImport(Glibc)
import Glibc
#endif

/// A libFuzzer target: `@main enum FuzzX: FuzzTarget { static func test(_ bytes:) { … } }`.
/// `test` feeds the bytes to one parser; a thrown error is fine, a crash or sanitizer report is a bug.
/// `main` hands the process to libFuzzer (SwiftPM links executables with their own `main`, so the
/// targets call `LLVMFuzzerRunDriver` instead of defining `LLVMFuzzerTestOneInput`).
public protocol FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer)
}

nonisolated(unsafe) private var currentTest: ((UnsafeRawBufferPointer) -> Void)?

extension FuzzTarget {
    public static func main() {
        currentTest = { test($0) }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            currentTest!(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
    }
}
