import Foundation
import FuzzSupport
import GhostIO

/// Any bytes as a PNG input image (`--input`), decoded to gray and to RGB.
@main enum FuzzPNG: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        let data = Data(bytes)
        for channels in [1, 3] { _ = try? PNGFile.decode(data, path: "fuzz.png", channels: channels) }
    }
}
