import CKernels
import Dispatch

/// Splits `0..<count` into contiguous chunks, one per kernel thread, when the work is large
/// enough; each chunk must write disjoint memory, so results do not depend on the split.
enum ParallelLoop {
    /// Runs `body` over disjoint sub-ranges covering `0..<count`. `work` is an estimate of the
    /// element operations; below `minimumWork` everything runs on the calling thread.
    static func run(count: Int, work: Int, minimumWork: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        let threads = min(Int(fsb_get_num_threads()), count)
        if threads <= 1 || work < minimumWork {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { escapableBody in
            // The chunks write disjoint memory (the caller's contract), so sharing is safe.
            let shared = UncheckedSendableBox(value: escapableBody)
            DispatchQueue.concurrentPerform(iterations: threads) { chunk in
                let start = count * chunk / threads
                let end = count * (chunk + 1) / threads
                if start < end { shared.value(start..<end) }
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`, whose workers touch disjoint data.
private struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
}
