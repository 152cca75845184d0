/// GhostKit's user-facing error: one line naming the file (or option) and the problem.
public struct GhostError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    /// "path: problem".
    public static func file(_ path: String, _ problem: String) -> GhostError { GhostError("\(path): \(problem)") }
}
