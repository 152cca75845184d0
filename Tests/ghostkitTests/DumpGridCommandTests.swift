import Foundation
import GhostIO
import GhostReport
import GhostTensor
import GhostTestSupport
import Glibc
import XCTest

#if canImport(Glibc)
#endif

/// `ghostkit dump` (block outputs and layers inside blocks, PNG inputs) and `ghostkit grid`.
final class DumpGridCommandTests: TinyCheckpointTestCase {

    func testInsideBlockLayersAreConsistentWithTheFusedBlockOutput() throws {
        let fused = dir + "/fused.h5", inner = dir + "/inner.h5"
        XCTAssertEqual(try CLI.run(["dump", "--checkpoint", checkpoint, "--images", "5", "--layers", "layer2.0", "--out", fused]).status, 0)
        let r = try CLI.run(["dump", "--checkpoint", checkpoint, "--images", "5", "--layers", "layer2.0.*,layer2.0", "--out", inner])
        XCTAssertEqual(r.status, 0, r.stderr)
        let a = try ActivationReader(path: fused), b = try ActivationReader(path: inner)
        XCTAssertEqual(b.layerNames, ["layer2.0", "layer2.0.bn1", "layer2.0.bn2", "layer2.0.conv1", "layer2.0.conv2", "layer2.0.relu1"])
        // The unfused path (conv → BN → ReLU reported one by one) gives the same block output as the fused one.
        assertClose(try b.read("layers/layer2.0"), try a.read("layers/layer2.0"), relTol: 1e-5)
        // relu1 = max(0, bn1); conv1 is stride 2 (28 → 14) with 32 channels.
        let bn1 = try b.read("layers/layer2.0.bn1"), relu1 = try b.read("layers/layer2.0.relu1")
        XCTAssertEqual(bn1.shape, [5, 32, 14, 14])
        for i in 0..<bn1.count { XCTAssertEqual(relu1.readPointer[i], max(0, bn1.readPointer[i])) }
        XCTAssertTrue(bn1.scalars.contains { $0 < 0 }, "BN output is taken before the ReLU")
    }

    /// A dump that hits a full disk (stand-in: RLIMIT_FSIZE of 64 KiB) or a read-only directory: one-line error
    /// naming the file, exit status 1, the previous dump intact and no temp file left.
    func testFullDiskAndReadOnlyDirectoryKeepThePreviousDump() throws {
        let out = dir + "/dump", h5 = out + "/acts.h5"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        XCTAssertEqual(try CLI.run(["dump", "--checkpoint", checkpoint, "--images", "4", "--out", h5]).status, 0)
        let before = try SHA256.hex(file: h5)
        let args = ["dump", "--checkpoint", checkpoint, "--images", "64", "--out", h5, "--overwrite"]
        let lastLine = { (r: CLI.Result) in String(r.stderr.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last ?? "") }
        let full = try CLI.run(args, wrapper: CLI.fileSizeLimit(kib: 64))
        XCTAssertEqual(full.status, 1, full.stderr)
        XCTAssertTrue(lastLine(full).hasPrefix("Error: \(h5): cannot ") && lastLine(full).hasSuffix(": File too large"), full.stderr)
        XCTAssertEqual(try SHA256.hex(file: h5), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["acts.h5"])
        // Four images sit in libhdf5's chunk cache until the file is closed, so the limit is hit inside H5Fclose
        // (which crashed with SIGSEGV when the failed close was followed by a second one).
        let size = (try FileManager.default.attributesOfItem(atPath: h5)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 16 << 10, "the 4-image dump must be larger than the limit below")
        let small = try CLI.run(["dump", "--checkpoint", checkpoint, "--images", "4", "--out", h5, "--overwrite"],
                                wrapper: CLI.fileSizeLimit(kib: 16))
        XCTAssertEqual(small.status, 1, small.stderr)
        XCTAssertTrue(lastLine(small).hasPrefix("Error: \(h5): cannot ") && lastLine(small).hasSuffix(": File too large"),
                      small.stderr)
        XCTAssertEqual(try SHA256.hex(file: h5), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["acts.h5"])
        var wrapper: [String] = []
        if geteuid() == 0 {
            guard let w = CLI.unprivileged() else { throw XCTSkip("running as root without setpriv: directory permissions are not enforced") }
            wrapper = w
        }
        XCTAssertEqual(chmod(out, 0o555), 0)
        defer { chmod(out, 0o755) }
        let ro = try CLI.run(args, wrapper: wrapper)
        XCTAssertEqual(ro.status, 1, ro.stderr)
        XCTAssertEqual(lastLine(ro), "Error: \(out): output directory is not writable")
        XCTAssertEqual(try SHA256.hex(file: h5), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["acts.h5"])
    }

    /// NaN activations (a checkpoint with one NaN weight) stop the dump at the batch where they appear, with a
    /// one-line error naming the checkpoint, layer and image; no output file and no temp file are left.
    func testNonFiniteActivationsStopTheDumpAtTheirBatch() throws {
        let file = try SafetensorsFile(path: checkpoint)
        let tensors = try file.allTensors().map { name, t in
            if name == "layer2.0.conv1.weight" { t.uncheckedMutablePointer[5] = .nan }
            return (name: name, tensor: t, dtype: SafetensorsDType.F32)
        }
        let bad = dir + "/nan.safetensors", out = dir + "/nan"
        try SafetensorsFile.write(path: bad, tensors: tensors, metadata: file.metadata)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let r = try CLI.run(["dump", "--checkpoint", bad, "--images", "8", "--layers", "layer1.0,layer2.0.conv1", "--out", out + "/a.h5"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(String(r.stderr.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last ?? ""),
                       "Error: \(bad): layer layer2.0.conv1 produced nan for image 0 (batch 1); nothing was written (are the weights finite?)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testPNGInputsAndGrid() throws {
        // Two class folders with 28×28 and 40×40 PNGs: labels from folder names, all resized to the first image's size.
        for (cls, size) in [("bags", 28), ("shoes", 40)] {
            try FileManager.default.createDirectory(atPath: dir + "/pngs/" + cls, withIntermediateDirectories: true)
            var rgb = [UInt8](repeating: 255, count: size * size * 3)
            for y in 4..<(4 + size / 3) { for x in 4..<(4 + size / 2) { rgb[(y * size + x) * 3 + 1] = 30; rgb[(y * size + x) * 3 + 2] = 30 } }
            try PNGFile.write(width: size, height: size, rgb: rgb, to: dir + "/pngs/\(cls)/a.png")
        }
        let h5 = dir + "/png.h5"
        let r = try CLI.run(["dump", "--checkpoint", checkpoint, "--input", dir + "/pngs", "--layers", "stem", "--out", h5])
        XCTAssertEqual(r.status, 0, r.stderr)
        let reader = try ActivationReader(path: h5)
        XCTAssertEqual(try reader.shape("inputs"), [2, 1, 28, 28])
        XCTAssertEqual(try reader.labels(), [0, 1])

        let png = dir + "/grid.png"
        let g = try CLI.run(["grid", "--dump", h5, "--layer", "stem", "--index", "1", "--highlight", "3,5", "--out", png])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertTrue(g.stdout.contains("16 maps of 28×28"), g.stdout)
        XCTAssertGreaterThan(try PNGFile.read(path: png, channels: 3).shape[2], 28 * 4)

        let fromCheckpoint = try CLI.run(["grid", "--checkpoint", checkpoint, "--layer", "layer3.1.relu1", "--index", "2", "--out", png, "--overwrite"])
        XCTAssertEqual(fromCheckpoint.status, 0, fromCheckpoint.stderr)
        XCTAssertTrue(fromCheckpoint.stdout.contains("64 maps of 7×7"), fromCheckpoint.stdout)

        for (args, needle) in [(["--dump", h5, "--layer", "layer9"], "has no layer 'layer9'"),
                               (["--dump", h5, "--layer", "stem", "--index", "2"], "--index 2 is outside"),
                               (["--dump", h5, "--layer", "stem", "--highlight", "16"], "not a channel"),
                               (["--checkpoint", checkpoint, "--layer", "layer1.0.conv9"], "unknown layer"),
                               (["--dump", dir + "/none.h5", "--layer", "stem"], "none.h5: no such file")] {
            let bad = try CLI.run(["grid", "--out", dir + "/bad.png"] + args)
            XCTAssertNotEqual(bad.status, 0, "\(args)")
            XCTAssertTrue(bad.stderr.contains(needle), "\(args): \(bad.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.png"))
    }
}

/// `ghostkit report` over a folder of runs.
final class ReportCommandTests: XCTestCase {
    func testReportGathersRunsAndProvenance() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built")
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/runs/scan-x", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/ckpts", withIntermediateDirectories: true)
        try "# Scan\n\n| layer | r |\n|---|---|\n| layer1.0 | 0.9 |\n\n![figure 1](figure1.png)\n".write(toFile: dir + "/runs/scan-x/report.md", atomically: true, encoding: .utf8)
        try PNGFile.write(width: 4, height: 4, rgb: [UInt8](repeating: 255, count: 48), to: dir + "/runs/scan-x/figure1.png")
        try PNGFile.write(width: 4, height: 4, rgb: [UInt8](repeating: 255, count: 48), to: dir + "/runs/scan-x/extra.png")
        try #"{"sha256": "abc", "test_accuracy": 0.9312, "commands": ["ghostkit train --arch resnet18"]}"#.write(toFile: dir + "/ckpts/m.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["report", dir + "/runs", "--checkpoints", dir + "/ckpts"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOfFile: dir + "/runs/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<td>layer1.0</td>"), html)
        XCTAssertTrue(html.contains("src=\"scan-x/figure1.png\""), html)
        XCTAssertTrue(html.contains("src=\"scan-x/extra.png\""), "unreferenced PNGs go to the gallery")
        XCTAssertTrue(html.contains("93.12 %") && html.contains("ghostkit train --arch resnet18"), html)
        XCTAssertFalse(html.contains("<script"))
        let missing = try CLI.run(["report", dir + "/nope"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nope: no such directory"), missing.stderr)
    }
}
