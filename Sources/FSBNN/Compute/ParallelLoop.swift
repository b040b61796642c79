import CKernels

/// Splits `0..<count` into contiguous chunks, one per kernel thread, when the work is large
/// enough; each chunk must write disjoint memory, so results do not depend on the split.
/// Runs on the CKernels thread pool (`fsb_parallel_for`), so the layers' loops and the GEMM
/// share one set of threads instead of two pools competing for the same cores.
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
            var job = Job(count: count, body: escapableBody)
            withUnsafeMutablePointer(to: &job) { jobPointer in
                fsb_parallel_for(Int32(threads), { context, part, parts in
                    let job = context!.assumingMemoryBound(to: Job.self)
                    let count = job.pointee.count
                    let start = count * Int(part) / Int(parts)
                    let end = count * (Int(part) + 1) / Int(parts)
                    if start < end { job.pointee.body(start..<end) }
                }, jobPointer)
            }
        }
    }

    /// What the C pool's parts need: the range to split and the body (which writes disjoint
    /// memory per chunk, so running chunks on several threads is safe).
    private struct Job {
        let count: Int
        let body: (Range<Int>) -> Void
    }
}
