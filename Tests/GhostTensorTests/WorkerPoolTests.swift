import Foundation
import XCTest

@testable import GhostTensor

/// `Engine.parallelFor` on the worker pool: every index once, the round-robin slots, nested and concurrent calls,
/// thread-count changes (past the pool's largest size too) and workers that parked between jobs.
final class WorkerPoolTests: XCTestCase {
    private var savedThreads = 1

    override func setUp() { savedThreads = Engine.threads }
    override func tearDown() { Engine.threads = savedThreads }

    /// Runs `count` indices (each taking `sleep` seconds) and returns, per index, how often it ran and the thread
    /// that ran it.
    private func record(_ count: Int, sleep: Double = 0) -> (runs: [Int], threads: [UInt]) {
        let runs = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        let threads = UnsafeMutablePointer<UInt>.allocate(capacity: max(count, 1))
        defer { runs.deallocate(); threads.deallocate() }
        runs.initialize(repeating: 0, count: max(count, 1))
        threads.initialize(repeating: 0, count: max(count, 1))
        Engine.parallelFor(count) { i in
            runs[i] += 1
            if sleep > 0 { Thread.sleep(forTimeInterval: sleep) }
            threads[i] = UInt(pthread_self())
        }
        return (Array(UnsafeBufferPointer(start: runs, count: count)),
                Array(UnsafeBufferPointer(start: threads, count: count)))
    }

    func testEveryIndexRunsOnceRoundRobin() {
        for threads in [2, 3, 4] {
            Engine.threads = threads
            for count in [0, 1, 2, 3, 7, 1000] {
                let (runs, owners) = record(count)
                XCTAssertEqual(runs, [Int](repeating: 1, count: count), "threads \(threads), count \(count)")
                let workers = min(threads, count)
                // Index i is in slot i mod workers, and one thread runs a whole slot (the caller takes the slots of
                // workers that have not started, so two slots may share a thread).
                for i in 0..<count { XCTAssertEqual(owners[i], owners[i % max(workers, 1)], "index \(i)") }
            }
        }
    }

    func testWorkersResultsAreVisibleAfterReturnOverManyJobs() {
        Engine.threads = 2
        let data = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { data.deallocate() }
        for job in 0..<20_000 {
            data.initialize(repeating: 0, count: 64)
            Engine.parallelFor(64) { i in data[i] = i + job }
            var sum = 0
            for i in 0..<64 { sum += data[i] }
            if sum != 2016 + 64 * job { return XCTFail("job \(job): sum \(sum)") }
        }
    }

    func testWorkersTakePartAfterTheyParked() {
        Engine.threads = 3
        var threadsSeen = Set<UInt>()
        for round in 0..<10 {
            // Longer than the workers' spin: they park, and the next job must wake them. Each index sleeps 2 ms, so
            // a woken worker claims its slot before the caller is done with its own.
            Thread.sleep(forTimeInterval: Double(WorkerPool.spinNanoseconds) * 5e-9)
            let (runs, owners) = record(6, sleep: 0.002)
            XCTAssertEqual(runs, [Int](repeating: 1, count: 6), "round \(round)")
            threadsSeen.formUnion(owners)
        }
        XCTAssertGreaterThan(threadsSeen.count, 1, "no worker ever ran a slot")
    }

    func testNestedCallRunsSeriallyInsideTheJob() {
        Engine.threads = 2
        let inner = UnsafeMutablePointer<Int>.allocate(capacity: 4 * 10)
        defer { inner.deallocate() }
        inner.initialize(repeating: 0, count: 40)
        Engine.parallelFor(4) { i in
            Engine.parallelFor(10) { j in inner[i * 10 + j] += 1 }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: inner, count: 40)), [Int](repeating: 1, count: 40))
    }

    func testCallsFromTwoThreadsAtOnce() {
        Engine.threads = 2
        let group = DispatchGroup()
        let totals = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { totals.deallocate() }
        totals.initialize(repeating: 0, count: 2)
        for caller in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: 100)
                defer { counts.deallocate() }
                for _ in 0..<500 {
                    counts.initialize(repeating: 0, count: 100)
                    Engine.parallelFor(100) { i in counts[i] += 1 }
                    for i in 0..<100 { totals[caller] += counts[i] }
                }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "calls from two threads did not finish")
        XCTAssertEqual(totals[0], 50_000)
        XCTAssertEqual(totals[1], 50_000)
    }

    func testThreadCountChangesBetweenCalls() {
        for threads in [2, 3, 1, 4, 2, 2, 1, 3, WorkerPool.maxSize + 3, 2] {
            Engine.threads = threads
            let (runs, owners) = record(12)
            XCTAssertEqual(runs, [Int](repeating: 1, count: 12), "threads \(threads)")
            XCTAssertLessThanOrEqual(Set(owners).count, threads, "threads \(threads)")
        }
    }
}
