import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

final class ActivationStoreTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func writeSample(_ path: String) throws -> [Tensor] {
        var rng = SplitMix64(seed: 1)
        let w = try ActivationWriter(path: path, attributes: ["model": "test", "checkpoint_sha256": "abc"], overwrite: false)
        var batches: [Tensor] = []
        for b in 0..<3 {
            let x = Tensor(gaussian: [2, 1, 4, 4], std: 1, rng: &rng)
            let a = Tensor(gaussian: [2, 70, 3, 3], std: 1, rng: &rng)
            batches.append(a)
            try w.append(inputs: x, labels: [b, b + 1], layers: [(name: "layer1.0", kind: "block_out", tensor: a)])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the final path before finish()")
        try w.finish()
        return batches
    }

    func testStreamedWriteAndRead() throws {
        let path = dir + "/acts.h5"
        let batches = try writeSample(path)
        let r = try ActivationReader(path: path)
        XCTAssertEqual(r.layerNames, ["layer1.0"])
        XCTAssertEqual(r.attributes["model"], "test")
        XCTAssertEqual(r.attributes["format"], "ghostkit-activations")
        XCTAssertEqual(try r.shape("layers/layer1.0"), [6, 70, 3, 3])
        XCTAssertEqual(try r.labels(), [0, 1, 1, 2, 2, 3])
        let mid = try r.read("layers/layer1.0", start: 2, count: 2)
        XCTAssertEqual(mid.scalars, batches[1].scalars)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["acts.h5"])
    }

    func testExistingFileRefusedAndAbandonedWriteLeavesNothing() throws {
        let path = dir + "/acts.h5"
        _ = try writeSample(path)
        XCTAssertThrowsError(try ActivationWriter(path: path, attributes: [:], overwrite: false)) { e in
            XCTAssertTrue("\(e)".contains("already exists"), "\(e)")
        }
        do {
            let w = try ActivationWriter(path: dir + "/other.h5", attributes: [:], overwrite: false)
            try w.append(inputs: Tensor(zeros: [1, 1, 2, 2]), labels: [], layers: [])
        }  // dropped without finish()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["acts.h5"])
        XCTAssertThrowsError(try ActivationWriter(path: "/nonexistent-dir/a.h5", attributes: [:], overwrite: true))
        FileManager.default.createFile(atPath: dir + "/junk.h5", contents: Data("junk".utf8))
        XCTAssertThrowsError(try ActivationReader(path: dir + "/junk.h5")) { e in XCTAssertTrue("\(e)".hasPrefix(dir + "/junk.h5:"), "\(e)") }
    }

    /// A file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: a stand-in for ENOSPC/EDQUOT) hit while libhdf5 flushes its
    /// chunk cache in `finish()`: one error naming the file and the OS error, the previous file intact, no temp file.
    /// (The failed H5Fclose used to be followed by a second one, which crashed inside libhdf5.)
    func testWriteErrorInFinishIsAnErrorNotACrash() throws {
        let path = dir + "/acts.h5"
        _ = try writeSample(path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertGreaterThan(before.count, 8 << 10)
        var old = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = old
        limit.rlim_cur = 8 << 10
        var thrown: Error?
        do {
            let w = try ActivationWriter(path: path, attributes: ["model": "test"], overwrite: true)
            XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
            var rng = SplitMix64(seed: 2)
            try w.append(inputs: Tensor(gaussian: [2, 1, 4, 4], std: 1, rng: &rng), labels: [0, 1],
                         layers: [(name: "l", kind: "block_out", tensor: Tensor(gaussian: [2, 70, 8, 8], std: 1, rng: &rng))])
            try w.finish()
        } catch { thrown = error }
        _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        signal(SIGXFSZ, previousHandler)
        let message = thrown.map { "\($0)" } ?? "no error"
        XCTAssertTrue(message.hasPrefix(path + ": cannot ") && message.hasSuffix(": File too large"), message)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["acts.h5"])
    }

    /// The temp file of a dump killed before `finish()` is removed by the next writer of the same path.
    func testNewWriterRemovesTempsOfAKilledWriter() throws {
        let path = dir + "/acts.h5"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "exit 0"]
        try child.run()
        child.waitUntilExit()
        let stale = ".acts.h5.tmp-\(child.processIdentifier)-1f"
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/" + stale, contents: Data("partial".utf8)))
        _ = try writeSample(path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["acts.h5"])
    }

    /// A real client: h5py (Debian python3-h5py) reads shape, dtype, chunks, attributes and values.
    func testH5pyReadsTheFile() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"))
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        check.arguments = ["-c", "import h5py"]
        try check.run(); check.waitUntilExit()
        try XCTSkipUnless(check.terminationStatus == 0, "python3-h5py not installed")
        let path = dir + "/acts.h5"
        let batches = try writeSample(path)
        let script = """
        import h5py, sys
        f = h5py.File(sys.argv[1], "r")
        d = f["layers/layer1.0"]
        print(d.shape, d.dtype, d.chunks, d.compression, d.shuffle, f.attrs["format"], d.attrs["kind"], list(f["labels"][:]), "%.6f" % d[3, 69, 2, 1])
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script, path]
        let out = Pipe()
        p.standardOutput = out
        try p.run(); p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let expected = String(format: "%.6f", batches[1][1, 69, 2, 1])
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines),
                       "(6, 70, 3, 3) float32 (1, 64, 3, 3) gzip True b'ghostkit-activations' b'block_out' [0, 1, 1, 2, 2, 3] \(expected)")
    }
}
