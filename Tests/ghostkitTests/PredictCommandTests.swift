import Foundation
import GhostTestSupport
import XCTest

/// End-to-end `ghostkit predict` and `ghostkit convert-checkpoint` on the PyTorch fixtures (no dataset needed).
final class PredictCommandTests: XCTestCase {
    let arch = ["--arch", "resnet18", "--width", "0.03125", "--num-classes", "10"]
    var dir = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built at \(CLI.binary)")
        dir = Fixtures.temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// probabilities by image file name → class → p, from `predict --json` output.
    func predictions(_ stdout: String) throws -> [String: [Int: Double]] {
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]], stdout)
        var out: [String: [Int: Double]] = [:]
        for item in json {
            let image = try XCTUnwrap(item["image"] as? String)
            let top = try XCTUnwrap(item["top"] as? [[String: Any]])
            XCTAssertEqual(top.count, 5)
            out[(image as NSString).lastPathComponent] = Dictionary(uniqueKeysWithValues: top.map { ($0["class"] as! Int, $0["probability"] as! Double) })
        }
        return out
    }

    /// 8-bit RGB, 16-bit RGBA (resized + cropped), gray and palette PNGs and a JPEG (shrunk 2.8×: antialiasing)
    /// give the probabilities of PyTorch after torchvision's Resize + CenterCrop of the PIL image.
    func testPredictMatchesPyTorch() throws {
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/predict.json")))) as? [String: [Double]])
        let r = try CLI.run(["predict", Fixtures.path("pth/r18.zip.pth"), Fixtures.path("pth/images")] + arch + ["--input-size", "32", "--json", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = try predictions(r.stdout)
        XCTAssertEqual(Set(got.keys), Set(reference.keys))
        for (image, probs) in reference {
            let mine = try XCTUnwrap(got[image])
            let best = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(5)
            XCTAssertEqual(Set(mine.keys), Set(best), image)
            for c in best { XCTAssertEqual(mine[c] ?? -1, probs[c], accuracy: 1e-4 * max(probs[c], 1e-2), "\(image) class \(c)") }
        }
        // Plain output: sorted, labelled, percentages.
        let text = try CLI.run(["predict", Fixtures.path("pth/r18.zip.pth"), Fixtures.path("pth/images/c_gray8.png")] + arch)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("1. ") && text.stdout.contains("5. ") && text.stdout.contains("%  class "), text.stdout)
    }

    /// convert-checkpoint: a wrapped legacy file with "module." and "linear." keys becomes GhostKit safetensors with
    /// metadata; predict on it (no --arch) gives the same answers as on the .pth.
    func testConvertCheckpointThenPredict() throws {
        let out = dir + "/r18.safetensors"
        let src = Fixtures.path("pth/r18.wrapped.pth")
        let c = try CLI.run(["convert-checkpoint", src, out] + arch + ["--rename", "linear=fc", "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let info = try CLI.run(["info", out, "--input-size", "32"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let sha = try XCTUnwrap(shellSHA256(src))
        for expected in ["resnet18 (width 0.03125, 3→10)", "ghostkit.source = r18.wrapped.pth", "ghostkit.source_sha256 = \(sha)",
                         "pth.best_prec1 = 91.5", "pth.epoch = 7", "normalisation mean [0.485, 0.456, 0.406]"] {
            XCTAssertTrue(info.stdout.contains(expected), "\(expected)\n\(info.stdout)")
        }
        let a = try CLI.run(["predict", out, Fixtures.path("pth/images"), "--json"])
        let b = try CLI.run(["predict", Fixtures.path("pth/r18.zip.pth"), Fixtures.path("pth/images"), "--json"] + arch)
        XCTAssertEqual(a.status, 0, a.stderr)
        let pa = try predictions(a.stdout), pb = try predictions(b.stdout)
        for (k, v) in pb { for (c, p) in v { XCTAssertEqual(pa[k]?[c] ?? -1, p, accuracy: 1e-6) } }
    }

    func testInfoShowsPthExtras() throws {
        let r = try CLI.run(["info", Fixtures.path("pth/r18.wrapped.pth"), "--input-size", "32", "--rename", "linear=fc"] + arch)
        XCTAssertEqual(r.status, 0, r.stderr)
        for expected in ["PyTorch legacy format", "best_prec1 = 91.5", "epoch = 7", "arch = resnet18", "F32/I64"] {
            XCTAssertTrue(r.stdout.contains(expected), "\(expected)\n\(r.stdout)")
        }
    }

    /// Bad input: one line naming the file and the problem, exit ≠ 0, no output file.
    func testBadInputsGiveOneLineErrors() throws {
        let labels = dir + "/labels.txt"
        XCTAssertTrue(FileManager.default.createFile(atPath: labels, contents: Data("a\nb\n".utf8)))
        let out = dir + "/out.safetensors"
        let cases: [([String], String)] = [
            (["convert-checkpoint", Fixtures.path("pth/evil/os_system_in_zip.pth"), out] + arch, "refusing global \"os.system\""),
            (["convert-checkpoint", Fixtures.path("pth/evil/huge_tensor_claim.pth"), out] + arch, "claims 1000000000000 elements"),
            (["convert-checkpoint", Fixtures.path("pth/r18.wrapped.pth"), out] + arch + ["--rename", "fc=head"],
             "try --rename head=fc"),
            (["convert-checkpoint", Fixtures.path("pth/r18.wrapped.pth"), out, "--rename", "conv1=stem"], "pass --arch"),
            (["convert-checkpoint", Fixtures.path("layouts/akamaster_resnet8_A.th"), out, "--arch", "resnet50"],
             "file is resnet8 (option A, 3→10), not resnet50 (3→1000)"),
            (["convert-checkpoint", Fixtures.path("pth/evil/truncated_legacy.pth"), out] + arch, "truncated"),
            (["predict", Fixtures.path("pth/r18.zip.pth"), Fixtures.path("pth/r18.io.safetensors")] + arch,
             "is neither a PNG nor a JPEG"),
            (["predict", Fixtures.path("pth/r18.zip.pth"), Fixtures.path("pth/images")] + arch + ["--labels", labels], "has 2 class names"),
            (["predict", Fixtures.path("pth/r18.zip.pth"), dir + "/none.png"] + arch, "no such file"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count, 1, "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["labels.txt"])
    }

    private func shellSHA256(_ path: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        guard (try? p.run()) != nil else { return nil }
        let d = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: d, as: UTF8.self).split(separator: " ").first.map(String.init)
    }
}
