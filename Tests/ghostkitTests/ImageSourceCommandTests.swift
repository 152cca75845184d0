import Foundation
import GhostIO
import GhostTestSupport
import XCTest

/// One image-source group across commands: JPEG class folders at the model's input size, public-layout
/// checkpoints without flags, --images above the source, and the embedded checkpoint from any directory.
final class ImageSourceCommandTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        try CLIFixtures.requireBinaryAndData()
        dir = Fixtures.temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// An ImageNet-layout folder of JPEGs and a PNG (val/<class>/*) through a torchvision ResNet-18 .pth: every
    /// image is brought to 224² (Resize(256) + CenterCrop(224)), labels follow the sorted class folders, and
    /// --images above what the folder holds is one warning line.
    func testDumpOfAJPEGClassFolderRunsAtTheModelsInputSize() throws {
        let photos = Fixtures.path("images/photos")
        let layout = [("n01", ["a_rgb_300x200.jpg", "e_rgb_small_60x45.jpg"]),
                      ("n02", ["b_gray_180x260.jpg", "f_rgb_200x150.png"])]
        for (cls, files) in layout {
            let folder = dir + "/imagenet/val/" + cls
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for f in files { try FileManager.default.copyItem(atPath: photos + "/" + f, toPath: folder + "/" + f) }
        }
        let h5 = dir + "/jpeg.h5"
        let r = try CLI.run(["dump", "--checkpoint", Fixtures.path("images/r18_w16.pth"), "--dataset", "folder",
                             "--data-dir", dir + "/imagenet", "--images", "10", "--layers", "stem", "--out", h5])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: --images 10 asks for more than the 4 images"), r.stderr)
        let reader = try ActivationReader(path: h5)
        XCTAssertEqual(try reader.shape("inputs"), [4, 3, 224, 224])
        XCTAssertEqual(try reader.labels(), [0, 0, 1, 1])
        XCTAssertEqual(try reader.shape("layers/stem"), [4, 4, 56, 56])
    }

    /// A public CIFAR checkpoint (akamaster layout: module., linear, option A, no num_batches_tracked) scans with no
    /// --arch or --rename; a wrong --arch is one line.
    func testPublicCheckpointScansWithoutFlags() throws {
        let ckpt = Fixtures.path("layouts/akamaster_resnet8_A.th")
        let info = try CLI.run(["info", ckpt])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("resnet8 (option A, 3→10)   [from the tensor shapes]"), info.stdout)
        let wrong = try CLI.run(["dump", "--checkpoint", ckpt, "--arch", "resnet50", "--out", dir + "/x.h5"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertEqual(wrong.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count, 1, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("file is resnet8 (option A, 3→10), not resnet50"), wrong.stderr)
        let flat = try CLI.run(["dump", "--checkpoint", ckpt, "--input", Fixtures.path("images/photos"),
                                "--layers", "layer1.0", "--out", dir + "/flat.h5"])
        XCTAssertEqual(flat.status, 0, flat.stderr)
        XCTAssertEqual(try ActivationReader(path: dir + "/flat.h5").shape("inputs"), [6, 3, 32, 32])
    }

    /// `dump` with the embedded checkpoint works from a directory that is not the repository.
    func testEmbeddedCheckpointIsFoundFromAnyDirectory() throws {
        let r = try CLI.run(["dump", "--images", "2", "--layers", "stem", "--out", dir + "/e.h5"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let attributes = try ActivationReader(path: dir + "/e.h5").attributes
        let used = attributes["checkpoint"] ?? ""
        XCTAssertTrue(used.hasSuffix("checkpoints/resnet50-fmnist.safetensors"), "\(attributes)")
    }
}
