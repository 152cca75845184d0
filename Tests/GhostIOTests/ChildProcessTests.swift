import Foundation
import GhostIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `ChildProcess`: exit status, death by a signal and the time limit, with both streams captured.
final class ChildProcessTests: XCTestCase {
    func testExitStatusAndBothStreams() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], timeLimit: 10)
        XCTAssertEqual(r.ending, .exited(3))
        XCTAssertEqual(r.stdout, "out\n")
        XCTAssertEqual(r.stderr, "err\n")
    }

    func testDeathByASignalIsReportedAsSuch() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo step; kill -SEGV $$"], timeLimit: 10)
        XCTAssertEqual(r.ending, .signalled(SIGSEGV))
        XCTAssertEqual(ChildProcess.signalName(SIGSEGV), "SIGSEGV")
        XCTAssertEqual(r.stdout, "step\n")
    }

    func testAChildPastItsTimeLimitIsKilled() throws {
        let t0 = Date()
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo started; exec sleep 30"], timeLimit: 0.5)
        XCTAssertEqual(r.ending, .timedOut)
        XCTAssertEqual(r.stdout, "started\n")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
    }

    func testASilentChildIsKilledAtTheQuietLimit() throws {
        let t0 = Date()
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo started; exec sleep 30"], timeLimit: 60, quietLimit: 0.5)
        XCTAssertEqual(r.ending, .timedOut)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
    }

    func testAChildThatKeepsPrintingOutlivesTheQuietLimit() throws {
        let script = "for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.25; done"
        let r = try ChildProcess.run("/bin/sh", ["-c", script], timeLimit: 60, quietLimit: 1)
        XCTAssertEqual(r.ending, .exited(0))
        XCTAssertEqual(r.stdout, "1\n2\n3\n4\n5\n6\n7\n8\n")
    }

    func testTheLastBytesOfALongOutputAreKept() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo last"],
                                     timeLimit: 30)
        XCTAssertEqual(r.stdout.utf8.count, ChildProcess.outputLimit)
        XCTAssertTrue(r.stdout.hasSuffix("x\nlast\n"))
    }

    func testTheEnvironmentIsTheOneGiven() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo \"$GK_X\""], environment: ["GK_X": "y"], timeLimit: 10)
        XCTAssertEqual(r.stdout, "y\n")
    }

    func testAMissingExecutableIsOneError() {
        XCTAssertThrowsError(try ChildProcess.run("/nonexistent/ghostkit", [], timeLimit: 1)) {
            XCTAssertTrue("\($0)".hasPrefix("/nonexistent/ghostkit: cannot start a child process"), "\($0)")
        }
    }
}
