import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// The corrupt dumps that crash or hang libhdf5 1.10.8 itself (fuzz/libhdf5-crashes/): `grid --dump` and
/// `fit-kernels --scan` open them in a child process first (`HDF5Probe`), so each is refused with one line and
/// status 1 within the child's 10 s limit, and nothing is written; and layers too large to draw.
final class HostileHDF5CommandTests: XCTestCase {
    var dir = ""
    let crashes = Fixtures.repoRoot + "/fuzz/libhdf5-crashes"

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built")
        dir = Fixtures.temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    var crashFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: crashes)) ?? []).filter { $0.hasSuffix(".h5") }.sorted()
    }

    /// Runs ghostkit and checks: status 1, exactly one line on stderr naming `file`, under 20 s.
    func assertRefused(_ args: [String], file: String, _ what: String) throws -> String {
        let t0 = Date()
        let r = try CLI.run(args)
        let seconds = Date().timeIntervalSince(t0)
        XCTAssertEqual(r.status, 1, "\(what): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(what): \(r.stderr)")
        XCTAssertTrue(r.stderr.hasPrefix("Error: \(file): "), "\(what): \(r.stderr)")
        XCTAssertLessThan(seconds, 20, what)
        return r.stderr
    }

    func testGridRefusesEveryLibhdf5CrashFile() throws {
        XCTAssertEqual(crashFiles.count, 7)
        for name in crashFiles {
            let file = crashes + "/" + name, out = dir + "/\(name).png"
            let message = try assertRefused(["grid", "--dump", file, "--layer", "a", "--out", out], file: file, name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), name)
            if name.hasPrefix("H5HG_read-segv") {
                XCTAssertTrue(message.contains("libhdf5 could not read this file safely (crashed with SIGSEGV while "
                                               + "opening dataset /layers/a); refused"), message)
            }
            if name.hasPrefix("H5G__node_sumup-segv") {
                XCTAssertTrue(message.contains("(crashed with SIGSEGV while opening the file); refused"), message)
            }
            if name.hasPrefix("H5D_select_read-segv") {
                XCTAssertTrue(message.contains("(crashed with SIGSEGV while reading row 0 of /layers/a); refused"),
                              message)
            }
            if name.hasPrefix("H5HG_read-hang") {
                XCTAssertTrue(message.contains("(no answer within 10 s while opening dataset /layers/a); refused"),
                              message)
            }
        }
    }

    func testFitKernelsRefusesEveryLibhdf5CrashFile() throws {
        let pairs = Fixtures.repoRoot + "/fuzz/corpus/PairsJSON/scan-resnet20-2layers.json"
        for name in crashFiles {
            let scan = dir + "/scan-\(name)", out = dir + "/fit-\(name)"
            try FileManager.default.createDirectory(atPath: scan, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: pairs, toPath: scan + "/pairs.json")
            try FileManager.default.copyItem(atPath: crashes + "/" + name, toPath: scan + "/activations.h5")
            _ = try assertRefused(["fit-kernels", "--scan", scan, "--out", out], file: scan + "/activations.h5", name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(name): no empty output directory left")
        }
    }

    func testTheChildsOwnErrorIsPassedOnAsIs() throws {
        let notH5 = dir + "/not.h5"
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: notH5))
        let message = try assertRefused(["grid", "--dump", notH5, "--layer", "a", "--out", dir + "/g.png"],
                                        file: notH5, "text file")
        XCTAssertEqual(message, "Error: \(notH5): not a readable HDF5 file\n")
    }

    /// A dump whose layer has 65 536 maps of 1×1 (within the reader's limits): drawing it took minutes; refused.
    func testGridRefusesALayerTooLargeToDraw() throws {
        let h5 = dir + "/wide.h5"
        let w = try ActivationWriter(path: h5, attributes: ["model": "wide"], overwrite: false)
        try w.append(inputs: Tensor(zeros: [1, 1, 2, 2]), labels: [0],
                     layers: [("wide", "block", Tensor(zeros: [1, 65536, 1, 1])),
                              ("tall", "block", Tensor(zeros: [1, 64, 4096, 1]))])
        try w.finish()
        let wide = try assertRefused(["grid", "--dump", h5, "--layer", "wide", "--out", dir + "/g.png"], file: h5,
                                     "wide")
        XCTAssertEqual(wide, "Error: \(h5): has 65536 maps in that layer; grid draws at most 4096\n")
        let tall = try assertRefused(["grid", "--dump", h5, "--layer", "tall", "--out", dir + "/g.png"], file: h5,
                                     "tall")
        XCTAssertTrue(tall.contains("megapixels; grid draws at most 128"), tall)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/g.png"))
    }

    /// tools/make_hostile_h5.py's corrupt_middle_chunk.h5: rows 0 and 8 read, row 4's chunk is garbage. fit-kernels'
    /// child reads every row it will fit, so the refusal comes from the child, before pairs.json is looked at (whose
    /// layers this file lacks); grid reads only the row it draws.
    func testAMiddleChunkIsReadByTheChildBeforeFitKernels() throws {
        let h5 = Fixtures.path("hostile") + "/corrupt_middle_chunk.h5"
        let scan = dir + "/scan", out = dir + "/fit"
        try FileManager.default.createDirectory(atPath: scan, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixtures.repoRoot + "/fuzz/corpus/PairsJSON/scan-resnet20-2layers.json",
            toPath: scan + "/pairs.json")
        try FileManager.default.copyItem(atPath: h5, toPath: scan + "/activations.h5")
        let message = try assertRefused(["fit-kernels", "--scan", scan, "--out", out], file: scan + "/activations.h5",
                                        "fit-kernels")
        XCTAssertEqual(message, "Error: \(scan)/activations.h5: /layers/a: cannot read rows 0..<9 (truncated or "
                       + "corrupt file?)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try CLI.run(["_probe-hdf5", "--", h5]).status, 0)  // first and last rows only
        XCTAssertEqual(try CLI.run(["_probe-hdf5", "--leading", "4", "--", h5]).status, 0)
        XCTAssertEqual(try CLI.run(["_probe-hdf5", "--leading", "5", "--", h5]).status, 1)
        let row4 = try assertRefused(["grid", "--dump", h5, "--layer", "a", "--index", "4", "--out", dir + "/g.png"],
                                     file: h5, "grid row 4")
        XCTAssertTrue(row4.hasSuffix("/layers/a: cannot read row 4 (truncated or corrupt file?)\n"), row4)
        XCTAssertEqual(try CLI.run(["grid", "--dump", h5, "--layer", "a", "--index", "8", "--out", dir + "/g.png"])
                       .status, 0)
    }

    /// A NaN or ±∞ in the maps drawn: refused, naming the file, layer, image and channel; finite images still draw.
    func testGridRefusesNonFiniteMaps() throws {
        let h5 = dir + "/nan.h5"
        let maps = Tensor(zeros: [3, 4, 2, 2])
        maps.uncheckedMutablePointer[1 * 16 + 2 * 4 + 3] = .nan
        maps.uncheckedMutablePointer[2 * 16 + 0 * 4 + 1] = -.infinity
        let w = try ActivationWriter(path: h5, attributes: ["model": "nan"], overwrite: false)
        try w.append(inputs: Tensor(zeros: [3, 1, 2, 2]), labels: [0, 1, 2], layers: [("n", "block", maps)])
        try w.finish()
        func grid(_ index: Int) throws -> String {
            try assertRefused(["grid", "--dump", h5, "--layer", "n", "--index", "\(index)", "--out", dir + "/g.png"],
                              file: h5, "image \(index)")
        }
        let finiteOnly = "; grid draws finite maps only\n"
        XCTAssertEqual(try grid(1), "Error: \(h5): layer n, image 1, channel 2 holds nan" + finiteOnly)
        XCTAssertEqual(try grid(2), "Error: \(h5): layer n, image 2, channel 0 holds -inf" + finiteOnly)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/g.png"))
        XCTAssertEqual(try CLI.run(["grid", "--dump", h5, "--layer", "n", "--index", "0", "--out", dir + "/g.png"])
                       .status, 0)
    }

    /// The parent killed while its child hangs inside libhdf5 (H5HG_read-hang.h5): the child ends within about a
    /// second instead of at its 12-s alarm.
    func testTheChildEndsWhenItsParentIsKilled() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["grid", "--dump", crashes + "/H5HG_read-hang.h5", "--layer", "a", "--out", dir + "/g.png"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var child: Int32?
        for _ in 0..<100 where child == nil {
            usleep(50_000)
            let list = try String(contentsOfFile: "/proc/\(p.processIdentifier)/task/\(p.processIdentifier)/children",
                                  encoding: .utf8)
            child = list.split(separator: " ").first.flatMap { Int32($0) }
        }
        let pid = try XCTUnwrap(child, "no child process started")
        usleep(300_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let t0 = Date()
        while kill(pid, 0) == 0 && Date().timeIntervalSince(t0) < 8 {
            // reap it if it became ours (it does not: it is re-parented to init or a subreaper)
            usleep(50_000)
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains(") Z ") {
                break
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 3, "the child outlived its parent")
    }
}
