import Foundation
import GhostDistributed
import XCTest

/// A two-or-more-rank job inside one test process: each rank is a thread holding its own `ThreadRanks.Rank`, and
/// every all-reduce waits for all ranks, sums their buffers in rank order and hands every rank the same result.
final class ThreadRanks {
    private let lock = NSCondition()
    private var slots: [[Double]?], result: [Double] = [], generation = 0
    let size: Int

    init(size: Int) { self.size = size; slots = Array(repeating: nil, count: size) }

    /// Runs `body(rank)` on `size` threads at once and returns when all have finished.
    func run(_ body: @escaping (Rank) -> Void) {
        let done = DispatchGroup()
        for r in 0..<size {
            done.enter()
            let t = Thread { body(Rank(self, r)); done.leave() }
            t.stackSize = 8 << 20
            t.start()
        }
        done.wait()
    }

    fileprivate func reduce(_ rank: Int, _ values: [Double], _ op: (Double, Double) -> Double) -> [Double] {
        lock.lock()
        defer { lock.unlock() }
        let mine = generation
        slots[rank] = values
        if slots.allSatisfy({ $0 != nil }) {
            let all = slots.map { $0! }
            XCTAssertTrue(all.allSatisfy { $0.count == values.count }, "ranks all-reduce buffers of one length")
            result = all.dropFirst().reduce(all[0]) { acc, b in zip(acc, b).map { op($0, $1) } }
            slots = Array(repeating: nil, count: size)
            generation += 1
            lock.broadcast()
        } else {
            while generation == mine { lock.wait() }
        }
        return result
    }

    /// One rank's communicator.
    final class Rank: Communicator {
        let world: ThreadRanks
        let rank: Int
        var size: Int { world.size }
        init(_ world: ThreadRanks, _ rank: Int) { (self.world, self.rank) = (world, rank) }
        func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
            let r = world.reduce(rank, buffer.map(Double.init), +)
            for i in buffer.indices { buffer[i] = Float(r[i]) }
        }
        func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
            let r = world.reduce(rank, Array(buffer), +)
            for i in buffer.indices { buffer[i] = r[i] }
        }
        func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {
            let r = world.reduce(rank, Array(buffer), max)
            for i in buffer.indices { buffer[i] = r[i] }
        }
        func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
            let mine = rank == root ? buffer.map(Double.init) : Array(repeating: 0, count: buffer.count)
            let r = world.reduce(rank, mine, +)
            for i in buffer.indices { buffer[i] = Float(r[i]) }
        }
        func barrier() { _ = world.reduce(rank, [], +) }
        func abort(code: Int32) -> Never { fatalError("rank \(rank) aborted with \(code)") }
        var communicationSeconds: Double { 0 }
    }
}
