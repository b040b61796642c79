import Dispatch
import Foundation

/// `(0..<count).map(body)` on every core (`DispatchQueue.concurrentPerform`); the first
/// error thrown is rethrown. Results are in index order, whatever the schedule. `body`
/// must only read shared state (each call writes its own result slot).
func parallelMap<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
    try withoutActuallyEscaping(body) { body in
        let job = ParallelJob(count: count, body: body)
        DispatchQueue.concurrentPerform(iterations: count) { job.run($0) }
        if let failure = job.failure { throw failure }
        return job.results.map { $0! }
    }
}

/// The shared state of one `parallelMap`: disjoint result slots, the first failure.
private final class ParallelJob<T>: @unchecked Sendable {
    let body: (Int) throws -> T
    var results: [T?]
    var failure: Error?
    let lock = NSLock()
    private let slots: UnsafeMutablePointer<T?>

    init(count: Int, body: @escaping (Int) throws -> T) {
        self.body = body
        results = []
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil, count: max(count, 1))
        self.count = count
    }

    private let count: Int

    func run(_ i: Int) {
        do {
            slots[i] = try body(i)
        } catch {
            lock.lock()
            if failure == nil { failure = error }
            lock.unlock()
        }
        lock.lock()
        finished += 1
        if finished == count { results = Array(UnsafeBufferPointer(start: slots, count: count)) }
        lock.unlock()
    }

    private var finished = 0

    deinit {
        slots.deinitialize(count: max(count, 1))
        slots.deallocate()
    }
}
