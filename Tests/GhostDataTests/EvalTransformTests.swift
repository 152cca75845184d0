import Foundation
import GhostData
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// PIL's bilinear resize to the bit, torchvision's eval transform sizes, image folders in a fixed order.
final class EvalTransformTests: XCTestCase {
    struct Expected: Decodable {
        let mode: String
        let resized: String
        let resized_size: [Int]
    }

    func testResizeEqualsPILBitForBit() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/expected.json")))
        let expected = try JSONDecoder().decode([String: Expected].self, from: data)
        XCTAssertEqual(expected.count, 6)
        let t = EvalTransform(inputSize: 224)
        XCTAssertEqual([t.resize, t.crop], [256, 224])
        for (name, e) in expected {
            let img = try ImageFile.read8(path: Fixtures.path("images/photos/" + name), channels: e.mode == "L" ? 1 : 3)
            let size = t.resizedSize(width: img.width, height: img.height)
            XCTAssertEqual([size.width, size.height], e.resized_size, name)
            let r = PILResize.bilinear(img, width: size.width, height: size.height)
            XCTAssertEqual(SHA256.hex(Data(r.pixels)), e.resized, name)
        }
    }

    func testTransformSizes() {
        XCTAssertEqual([EvalTransform(inputSize: 32).resize, EvalTransform(inputSize: 32).crop], [32, 32])
        XCTAssertEqual(EvalTransform(inputSize: 288).resize, 329)
        let t = EvalTransform(resize: 8, crop: 4)
        // 9×8 → 9×8 (shorter side already 8); crop offsets round half to even: left round(2.5) = 2, top 2.
        let img = RasterImage(width: 9, height: 8, channels: 1, pixels: (0..<72).map { UInt8($0) })
        let out = t.apply(img)
        XCTAssertEqual(out.shape, [1, 4, 4])
        XCTAssertEqual(out.scalars.prefix(4).map { Int(($0 * 255).rounded()) }, [20, 21, 22, 23])
    }

    /// Class sub-folders in sorted order (ImageNet's val/<class>/ layout), flat folders, and their errors.
    func testImageFolders() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        let photos = Fixtures.path("images/photos")
        let layout = [("n02", ["d_rgb_progressive_320x240.jpg", "a_rgb_300x200.jpg"]), ("n01", ["f_rgb_200x150.png"])]
        for (cls, files) in layout {
            try fm.createDirectory(atPath: dir + "/val/" + cls, withIntermediateDirectories: true)
            for f in files { try fm.copyItem(atPath: photos + "/" + f, toPath: dir + "/val/" + cls + "/" + f) }
        }
        fm.createFile(atPath: dir + "/val/n01/notes.txt", contents: Data("x".utf8))
        let (d, available) = try ImageSource.classFolder(root: dir).open(split: "test", channels: 3, inputSize: 32)
        XCTAssertEqual(available, 3)
        XCTAssertEqual(d.classNames, ["n01", "n02"])
        XCTAssertEqual(d.labels, [0, 1, 1])
        XCTAssertEqual(d.images.shape, [3, 3, 32, 32])
        // The second image is a_rgb_300x200.jpg (sorted within n02): resized and cropped as the transform does.
        let a = EvalTransform(inputSize: 32)
            .apply(try ImageFile.read8(path: photos + "/a_rgb_300x200.jpg", channels: 3))
        XCTAssertTrue(Array(d.images.scalars[(3 * 32 * 32)..<(2 * 3 * 32 * 32)]) == a.scalars)
        let (limited, all) = try ImageSource.classFolder(root: dir)
            .open(split: "test", channels: 1, inputSize: 16, limit: 2)
        XCTAssertEqual([limited.count, all, limited.channels], [2, 3, 1])
        let (flat, _) = try ImageSource.files([photos]).open(split: "test", channels: 3, inputSize: 32)
        XCTAssertEqual(flat.count, 6)
        XCTAssertEqual(flat.classNames, ["unlabelled"])
        XCTAssertThrowsError(try ImageSource.classFolder(root: photos).open(split: "test", channels: 3,
                                                                              inputSize: 32)) { e in
            XCTAssertTrue("\(e)".contains("no class sub-folders"), "\(e)")
        }
        XCTAssertThrowsError(try ImageSource.files([dir + "/val"]).open(split: "test", channels: 3,
                                                                       inputSize: 32)) { e in
            XCTAssertTrue("\(e)".contains("no PNG or JPEG images"), "\(e)")
        }
        XCTAssertThrowsError(try ImageSource.files([Fixtures.path("images/bad/cmyk.jpg")])
            .open(split: "test", channels: 3, inputSize: 32)) { e in XCTAssertTrue("\(e)".contains("CMYK"), "\(e)") }
    }
}
