import Foundation
import FuzzSupport
import GhostData

/// Any bytes as a CIFAR-10 and a CIFAR-100 binary batch file: accepted files give one label in range per
/// record and pixels in [0, 1].
@main enum FuzzCIFAR: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        let data = Data(bytes)
        for variant in ImageDataset.CIFARVariant.allCases {
            let records = data.count / variant.recordBytes
            let pixels = UnsafeMutablePointer<Float>.allocate(capacity: max(1, records * 3072))
            defer { pixels.deallocate() }
            var labels: [Int] = []
            guard (try? ImageDataset.decodeCIFARRecords(data, variant: variant, path: "fuzz.bin", pixels: pixels, labels: &labels)) != nil else { continue }
            precondition(labels.count == records, "\(labels.count) labels for \(records) records")
            precondition(labels.allSatisfy { (0..<(variant == .cifar10 ? 10 : 100)).contains($0) }, "label out of range")
            for i in 0..<(records * 3072) { precondition((0...1).contains(pixels[i]), "pixel \(pixels[i])") }
        }
    }
}
