import GhostAnalysis
import GhostDistributed
import GhostTensor
import XCTest

/// A stand-in for rank 0 of a two-rank job whose partner's buffers were recorded beforehand: each all-reduce adds
/// the partner's next buffer (and, in recording mode, records this rank's buffers instead).
private final class RecordedPartner: Communicator {
    var recorded: [[Double]] = []
    let partner: [[Double]]?
    init(partner: [[Double]]?) { self.partner = partner }
    var rank: Int { partner == nil ? 1 : 0 }
    var size: Int { 2 }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) { XCTFail("no Float all-reduce expected") }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard let partner else { recorded.append(Array(buffer)); return }
        let other = partner[recorded.count]
        recorded.append(Array(buffer))
        XCTAssertEqual(other.count, buffer.count)
        for i in 0..<buffer.count { buffer[i] += other[i] }
    }
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {}
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
    var communicationSeconds: Double { 0 }
}

final class DistributedCorrelationTests: XCTestCase {
    /// Two ranks that each saw half of the batches, all-reduced, give the one-process correlations and samples.
    func testAllReducedHalvesEqualOneProcess() {
        var rng = SplitMix64(seed: 11)
        let (c, h, w) = (5, 3, 4)
        let batches = (0..<4).map { _ in
            Tensor(shape: [2, c, h, w], values: (0..<(2 * c * h * w)).map { _ in Float.random(in: -1...1, using: &rng) })
        }
        var one = ChannelCorrelation(channels: c)
        for b in batches { one.add(b) }
        var rank0 = ChannelCorrelation(channels: c), rank1 = ChannelCorrelation(channels: c)
        for b in batches[..<2] { rank0.add(b) }
        for b in batches[2...] { rank1.add(b) }
        let recorder = RecordedPartner(partner: nil)
        rank1.allReduce(recorder)  // records rank 1's accumulators
        XCTAssertEqual(rank1.samples, 2 * 2 * h * w, "recording leaves rank 1 as it was")
        rank0.allReduce(RecordedPartner(partner: recorder.recorded))
        XCTAssertEqual(rank0.samples, one.samples)
        XCTAssertEqual(rank0.flops, one.flops)
        let (r0, r1) = (rank0.pearson(), one.pearson())
        for i in r0.indices { XCTAssertEqual(r0[i], r1[i], accuracy: 1e-6, "r[\(i)]") }
        XCTAssertNotEqual(rank1.pearson(), r1, "one half alone differs: the test would notice a missing reduction")
    }

    /// The batch shards are contiguous, cover every batch once in rank order, and name the owner of each batch.
    func testShardRangesCoverInOrder() {
        for (count, parts) in [(5, 2), (7, 3), (2, 2), (64, 5)] {
            let ranges = (0..<parts).map { Shard.range(count: count, parts: parts, index: $0) }
            XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count))
            XCTAssertLessThanOrEqual(ranges.map(\.count).max()! - ranges.map(\.count).min()!, 1)
            for b in 0..<count { XCTAssertTrue(ranges[Shard.owner(of: b, count: count, parts: parts)].contains(b)) }
        }
        XCTAssertEqual(Shard.range(count: 5, parts: 2, index: 0), 0..<2)
    }
}
