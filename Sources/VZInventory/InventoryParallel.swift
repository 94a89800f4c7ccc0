import Glibc

/// Two-way fork/join on a plain pthread, for reading 1,000 configs on two
/// cores: a listing is one short-lived process, so a thread pool or the
/// Swift concurrency runtime would cost more than it saves.
enum InventoryParallel {
    /// Runs `second` on a new thread while `first` runs on this one. If no
    /// thread can be created, `second` simply runs here afterwards.
    static func pair<A, B>(_ first: () -> A, _ second: @escaping () -> B) -> (A, B) {
        let job = Job(second)
        let raw = Unmanaged.passRetained(job as JobBase).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { p in
            let job = Unmanaged<JobBase>.fromOpaque(p!).takeRetainedValue()
            job.run()
            return nil
        }, raw) == 0
        if !started {
            Unmanaged<JobBase>.fromOpaque(raw).release()
        }
        let a = first()
        if started {
            pthread_join(thread, nil)
        } else {
            job.run()
        }
        return (a, job.result!)
    }

    /// The thread entry point cannot be generic, so it runs a base class.
    private class JobBase: @unchecked Sendable {
        func run() {}
    }

    /// Written by the second thread before `pthread_join` returns, read
    /// only after it: the join orders the accesses.
    private final class Job<B>: JobBase, @unchecked Sendable {
        let body: () -> B
        var result: B?

        init(_ body: @escaping () -> B) { self.body = body }
        override func run() { result = body() }
    }
}
