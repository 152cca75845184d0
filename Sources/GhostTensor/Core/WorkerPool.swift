import CCPU
import Foundation
import Synchronization

/// The persistent threads behind `Engine.parallelFor`: `size − 1` workers plus the calling thread.
///
/// A batch-1 forward hands out a job every few tens of microseconds (one per kernel), and waking a parked thread
/// costs 25–55 µs on the 2-vCPU machines here, about what a small kernel's half takes. So a worker that finishes a
/// job spins (with the CPU's pause hint, yielding now and then) for `spinNanoseconds` watching for the next one
/// before it parks on a condition variable; the caller wakes parked workers only.
///
/// A job of `count` indices is cut into `participants` = min(size, count) slots: slot s holds i = s, s + p, …,
/// as before, so results do not depend on which thread runs what. Worker s claims slot s; the caller runs slot 0 and
/// then claims every slot no worker has claimed yet, so on a loaded machine a worker that is not running costs no
/// wait. Claims go through one atomic word (the job's generation and a bit per slot): a worker that wakes up late
/// sees a newer generation and claims nothing of the old job.
///
/// One job at a time: a call made while a job runs (from inside a job's body, or from another thread) does its
/// indices itself, serially.
final class WorkerPool: @unchecked Sendable {
    /// Threads taking part in each job, the caller included (2 ... `maxSize`).
    let size: Int
    /// Most threads a pool runs (one claim bit each).
    static let maxSize = 32
    /// How long an idle worker watches for the next job before it parks.
    static let spinNanoseconds: UInt64 = 200_000

    /// The current job's generation (high 32 bits) and its claimed slots (bit s: slot s; slots past the job's
    /// participants start claimed).
    private let state = Atomic<UInt64>(0)
    /// Slots finished by workers in the current job.
    private let finished = Atomic<Int>(0)
    /// Workers parked on `wakeUp`.
    private let parked = Atomic<Int>(0)
    /// Set while a caller owns the pool.
    private let busy = Atomic<Bool>(false)
    /// Set (before a last generation) to end the workers.
    private let stopping = Atomic<Bool>(false)
    private let wakeUp = NSCondition()
    /// The current job, written by the caller before it publishes the generation; a worker reads it only after it
    /// claimed a slot, and the caller does not return (or write the next job) before every claimed slot finished.
    private var body: ((Int) -> Void)?
    private var count = 0
    private var participants = 0
    private var generation: UInt64 = 0

    /// A pool of `size` threads (2 ... `maxSize`): starts `size − 1` workers.
    init(size: Int) {
        precondition(size >= 2 && size <= Self.maxSize, "a worker pool runs 2 to \(Self.maxSize) threads")
        self.size = size
        for slot in 1..<size {
            let thread = Thread { [self] in work(as: slot) }
            thread.stackSize = 8 << 20
            thread.name = "ghostkit-worker-\(slot)"
            thread.start()
        }
    }

    /// Runs `body(i)` for i in 0..<count on up to min(size, count) threads; returns when all are done. Returns
    /// false without running anything when the pool is already running a job.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        let participants = min(size, count)
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.count = count
            self.participants = participants
            finished.store(0, ordering: .relaxed)
            generation &+= 1
            // Slot 0 is the caller's; slots ≥ participants do not exist.
            let unused = participants >= 32 ? 0 : ~UInt64(0) << UInt64(participants) & 0xFFFF_FFFF
            publish((generation & 0xFFFF_FFFF) << 32 | unused | 1)
            runSlot(0)
            var byCaller = 1
            for slot in 1..<participants where claim(slot, generation: generation & 0xFFFF_FFFF) {
                runSlot(slot)
                byCaller += 1
            }
            waitForWorkers(slots: participants - byCaller)
            self.body = nil
        }
        return true
    }

    /// Stops the workers after the job that runs, if any (their threads then exit); the pool takes no more jobs.
    func stop() {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { sched_yield() }
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation &+= 1
        publish((generation & 0xFFFF_FFFF) << 32 | 0xFFFF_FFFF)
    }

    /// Makes a new state (and the job written before it) visible to the workers and wakes those that parked.
    private func publish(_ newState: UInt64) {
        state.store(newState, ordering: .sequentiallyConsistent)
        if parked.load(ordering: .sequentiallyConsistent) > 0 {
            wakeUp.lock()
            wakeUp.broadcast()
            wakeUp.unlock()
        }
    }

    /// Claims `slot` of the job of `generation` (low 32 bits): true if it was still unclaimed.
    private func claim(_ slot: Int, generation: UInt64) -> Bool {
        let bit = UInt64(1) << UInt64(slot)
        var current = state.load(ordering: .acquiring)
        while current >> 32 == generation && current & bit == 0 {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: current | bit, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Runs the indices of `slot`. The job's closure is released before the function returns.
    @inline(never)
    private func runSlot(_ slot: Int) {
        guard let body else { return }
        var i = slot
        while i < count {
            body(i)
            i += participants
        }
    }

    /// Spins until workers have finished `slots` slots (yielding the core now and then, in case one waits for it).
    private func waitForWorkers(slots: Int) {
        var spins = 0
        while finished.load(ordering: .acquiring) < slots {
            spins += 1
            if spins & 255 == 0 { sched_yield() } else { ghostkit_cpu_pause() }
        }
    }

    /// A worker's life: wait for a new generation, claim its slot and run it, until the pool stops.
    private func work(as slot: Int) {
        var seen: UInt64 = 0  // the generation at `init`: a job published before this thread got going still counts
        while true {
            seen = nextGeneration(after: seen)
            if stopping.load(ordering: .acquiring) { return }
            if claim(slot, generation: seen) {
                runSlot(slot)
                finished.add(1, ordering: .releasing)
            }
        }
    }

    /// The first generation other than `seen`: spins for `spinNanoseconds`, then parks until `publish` wakes it.
    private func nextGeneration(after seen: UInt64) -> UInt64 {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while true {
            let current = state.load(ordering: .acquiring) >> 32
            if current != seen { return current }
            spins += 1
            if spins & 255 == 0 {
                if DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { break }
                sched_yield()
            } else {
                ghostkit_cpu_pause()
            }
        }
        wakeUp.lock()
        defer { wakeUp.unlock() }
        parked.add(1, ordering: .sequentiallyConsistent)
        defer { parked.subtract(1, ordering: .sequentiallyConsistent) }
        while true {
            let current = state.load(ordering: .sequentiallyConsistent) >> 32
            if current != seen { return current }
            wakeUp.wait()
        }
    }
}
