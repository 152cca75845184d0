import Foundation
import FuzzSupport
import GhostIO

/// Any bytes as a JPEG image (an `--input` file or an image-folder member): `JPEGFile.decode`, the call
/// `ImageFile.read`/`read8` make for a file starting with FF D8 FF, to gray and to RGB, with its size limits.
@main enum FuzzJPEG: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        let data = Data(bytes)
        for channels in [1, 3] {
            guard let image = try? JPEGFile.decode(data, path: "fuzz.jpg", channels: channels) else { continue }
            precondition(image.width > 0 && image.height > 0 && image.width * image.height <= JPEGFile.maxPixels)
            precondition(image.pixels.count == image.width * image.height * channels)
        }
    }
}
