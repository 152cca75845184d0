import Foundation
import FuzzSupport
import GhostIO

/// Any bytes as a pickle for the restricted unpickler (state-dict globals only): it must return a value or
/// throw, never trap, and never run anything.
@main enum FuzzPickle: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        _ = try? Pickle.load(data: Data(bytes), name: "fuzz.pkl")
    }
}
