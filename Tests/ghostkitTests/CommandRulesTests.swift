import Foundation
import GhostIO
import GhostTestSupport
import XCTest

/// Rules every command follows: bad input of any kind exits 1 with one error line naming the flag and its range
/// (plus that command's usage), unknown help topics exit 1, and an existing output is refused without
/// --overwrite (named in one line) and replaced with it.
final class CommandRulesTests: TinyCheckpointTestCase {
    /// The first line of stderr, which must be the error.
    func firstLine(_ r: CLI.Result) -> String { String(r.stderr.split(separator: "\n").first ?? "") }

    func testValidationErrorsExitOneNamingTheFlagAndTheCommand() throws {
        let cases: [([String], String)] = [
            (["finetune", checkpoint, "--epochs", "0"], "Error: --epochs must be ≥ 1 (got 0)"),
            (["train", "--arch", "resnet20", "--lr", "0", "--out", dir + "/t.safetensors"],
             "Error: --lr must be a finite number > 0 (got 0.0)"),
            (["convert", checkpoint, "--s", "1"], "Error: --s must be ≥ 2 (got 1)"),
            (["convert", checkpoint, "--d", "4"], "Error: --d must be odd and ≥ 1 (got 4)"),
            (["convert", checkpoint, "--macs-budget", "0.5", "--guided-refine-rounds=-1"],
             "Error: --guided-refine-rounds must be ≥ 0 (got -1)"),
            (["convert", checkpoint, "--macs-budget", "0.5", "--guided-refine-candidates", "0"],
             "Error: --guided-refine-candidates must be ≥ 1 (got 0)"),
            (["train", "--arch", "resnet20", "--optimizer", "bogus", "--out", dir + "/t.safetensors"],
             "Error: The value 'bogus' is invalid for '--optimizer <optimizer>'. Please provide one of 'sgd', 'adam' or "
                + "'adamw'."),
            (["convert", checkpoint, "--dtype", "F64"],
             "Error: The value 'F64' is invalid for '--dtype <dtype>'. Please provide one of 'F32', 'F16' or 'BF16'."),
            (["scan", "--checkpoint", checkpoint, "--threshold", "2"], "Error: --threshold must be in [-1, 1] (got 2.0)"),
            (["grid", "--checkpoint", checkpoint, "--layer", "stem", "--padding", "0", "--out", dir + "/g.png"],
             "Error: --padding must be in 1…64 (got 0)"),
            (["scan", "--bogus-flag"], "Error: Unknown option '--bogus-flag'"),
            (["grid", "--layer", "stem", "--colormap", "jet", "--out", dir + "/g.png"],
             "Error: The value 'jet' is invalid for '--colormap <colormap>'. Please provide one of 'gray' and 'heat'."),
            (["grid", "--layer", "stem", "--highlight", "1,x", "--out", dir + "/g.png"],
             "Error: The value '1,x' is invalid for '--highlight <highlight>'"),
            (["fit-kernels", "--sizes", "1,,3"], "Error: The value '1,,3' is invalid for '--sizes <sizes>'"),
            (["bench", "--threads", "1,0"], "Error: --threads must be positive (got 1,0)"),
            (["bench", "--threads", "1,two"], "Error: The value '1,two' is invalid for '--threads <threads>'"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(firstLine(r).hasPrefix(expected), "\(args): \(r.stderr)")
            if args[1] != "--bogus-flag" {
                XCTAssertTrue(r.stderr.contains("Usage: ghostkit \(args[0]) "), "\(args): \(r.stderr)")
            }
        }
        let help = try CLI.run(["help", "bogus"])
        XCTAssertEqual(help.status, 1)
        XCTAssertTrue(help.stderr.hasPrefix("Error: no help topic 'bogus' (subcommands: scan, "), help.stderr)
        XCTAssertEqual(help.stderr.split(separator: "\n").count, 1)
        XCTAssertEqual(try CLI.run(["help", "scan"]).status, 0)
        XCTAssertEqual(try CLI.run(["scan", "--help"]).status, 0)
    }

    /// `ghostkit <command> --help` at a terminal width of `columns`.
    func help(_ command: [String], columns: Int) throws -> String {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = command + ["--help"]
        p.environment = ["COLUMNS": "\(columns)", "PATH": "/usr/bin:/bin"]
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(command)")
        return String(decoding: data, as: UTF8.self)
    }

    func testHelpExamplesAreNeverWrappedMidCommandAndDefaultsAppearOnce() throws {
        let commands = [["scan"], ["fit-kernels"], ["convert"], ["finetune"], ["dump"], ["grid"], ["report"],
                        ["plot", "curves"], ["plot", "tradeoff"], ["info"], ["train"], ["eval"],
                        ["convert-checkpoint"], ["compare"], ["export"], ["similarity"]]
        for c in commands {
            // The examples (indented lines before USAGE) are the same at 80 columns as on a wide terminal:
            // argument-parser wrapped none of them, and each line of a broken example ends in "\".
            func examples(_ text: String) -> [String] {
                text.components(separatedBy: "\nUSAGE:")[0].split(separator: "\n").map(String.init)
                    .filter { $0.hasPrefix("  ") }
            }
            let narrow = try help(c, columns: 80), wide = try help(c, columns: 400)
            XCTAssertEqual(examples(narrow), examples(wide), "\(c)")
            for line in examples(narrow) { XCTAssertLessThanOrEqual(line.count, 80, "\(c): \(line)") }
            XCTAssertFalse(wide.contains("(default: number of cores). (default:"), "\(c)")
        }
        XCTAssertTrue(try help(["train"], columns: 80).contains("  ghostkit train --arch resnet18 --stem cifar "))
    }

    func testEmptyDatasetsAndEmptyNormalisationAreRefused() throws {
        // A PNG dataset with no classes, an IDX pair with zero images.
        let folder = dir + "/folder"
        for split in ["train", "test"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + split, withIntermediateDirectories: true)
        }
        let noClasses = try CLI.run(["train", "--arch", "resnet20", "--in-channels", "1", "--dataset", "folder",
                                     "--data-dir", folder, "--out", dir + "/t.safetensors"])
        XCTAssertEqual(noClasses.status, 1)
        XCTAssertEqual(firstLine(noClasses), "Error: \(folder)/train: has no class sub-folders "
                       + "(expected <class>/<image>.jpg|png)")
        let idx = dir + "/idx"
        try FileManager.default.createDirectory(atPath: idx, withIntermediateDirectories: true)
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28]
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 0]
        for split in ["train", "t10k"] {
            try Data(images).write(to: URL(fileURLWithPath: idx + "/\(split)-images-idx3-ubyte"))
            try Data(labels).write(to: URL(fileURLWithPath: idx + "/\(split)-labels-idx1-ubyte"))
        }
        let zero = try CLI.run(["train", "--arch", "resnet20", "--in-channels", "1", "--data-dir", idx,
                                "--out", dir + "/t.safetensors"])
        XCTAssertEqual(zero.status, 1)
        XCTAssertTrue(firstLine(zero).hasSuffix("no training images (a dataset needs at least one)"), zero.stderr)
        // "mean": [] in a checkpoint's normalisation metadata.
        let file = try SafetensorsFile(path: checkpoint)
        var meta = file.metadata
        meta["ghostkit.normalization"] = #"{"mean":[],"std":[]}"#
        let bad = dir + "/bad-norm.safetensors"
        let tensors = try file.names.map { ($0, try file.tensor($0), file.entry($0)!.dtype) }
        try SafetensorsFile.write(path: bad, tensors: tensors,
                                  metadata: meta)
        let r = try CLI.run(["eval", bad, "--limit-test", "8"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(firstLine(r).contains("\(bad): ghostkit.normalization metadata"), r.stderr)
    }

    func testEveryCommandRefusesAnExistingOutputWithoutOverwrite() throws {
        let old = Data("earlier result".utf8)
        func check(_ args: [String], output: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let parent = URL(fileURLWithPath: output).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: parent,
                                                    withIntermediateDirectories: true)
            try old.write(to: URL(fileURLWithPath: output))
            let refused = try CLI.run(args)
            XCTAssertEqual(refused.status, 1, "\(args)", file: file, line: line)
            XCTAssertEqual(refused.stderr, "Error: \(output): already exists (pass --overwrite to replace it)\n",
                           file: file, line: line)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), old, file: file, line: line)
            let replaced = try CLI.run(args + ["--overwrite"])
            XCTAssertEqual(replaced.status, 0, "\(args): \(replaced.stderr)", file: file, line: line)
            XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: output)), old, file: file, line: line)
        }
        let small = ["--threads", "2"]
        try check(["export", checkpoint, dir + "/m.onnx"], output: dir + "/m.onnx")
        try check(["convert", checkpoint, "--calibration-images", "32", "--eval-images", "0", "--out",
                   dir + "/c/ghost.safetensors"] + small, output: dir + "/c/ghost.safetensors")
        try check(["finetune", checkpoint, "--epochs", "1", "--limit-train", "32", "--limit-test", "16",
                   "--batch-size", "16", "--out", dir + "/ft.safetensors"] + small, output: dir + "/ft.safetensors")
        try check(["train", "--arch", "resnet20", "--in-channels", "1", "--epochs", "1", "--limit-train", "32",
                   "--limit-test", "16", "--batch-size", "16", "--out", dir + "/tr.safetensors"] + small,
                  output: dir + "/tr.safetensors")
        try check(["grid", "--checkpoint", checkpoint, "--layer", "stem", "--out", dir + "/g.png"],
                  output: dir + "/g.png")
        try check(["dump", "--checkpoint", checkpoint, "--images", "4", "--layers", "layer1.0", "--out",
                   dir + "/d/a.h5"] + small, output: dir + "/d/a.h5")
        try check(["report", dir + "/c", "--checkpoints", dir, "--out", dir + "/index.html"],
                  output: dir + "/index.html")
    }
}
