import Foundation

/// Per-channel input normalisation (x − mean) / std.
public struct Normalization: Codable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) { self.mean = mean; self.std = std }

    public init?(json: String) {
        guard let d = json.data(using: .utf8), let n = try? JSONDecoder().decode(Normalization.self, from: d),
              n.mean.count == n.std.count, !n.mean.isEmpty, n.std.allSatisfy({ $0 > 0 }) else { return nil }
        self = n
    }

    public var json: String { String(data: try! JSONEncoder().encode(self), encoding: .utf8)! }

    /// ImageNet statistics used by torchvision.
    public static let imagenet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
}
