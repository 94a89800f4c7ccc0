import Testing
import VZConfig
@testable import VZCgroup

/// The accounting table: for every beancounter, on v1 and on v2, the exact
/// files behind held, maxheld, failcnt and the kernel's limit.
@Suite struct BeancounterFilesTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var bc: Beancounter
        var version: CgroupVersion
        var controller: String?
        var held: String?
        var maxheld: String?
        var failcnt: String?
        var limit: String?
        var scale: UInt64 = 1
        var testDescription: String { "\(bc) \(version)" }
    }

    static let rows: [Row] = [
        // 6.13+ counts no v1 kmem or memsw failures (see oldKernels).
        Row(bc: .kmemsize, version: .v1, controller: "memory", held: "memory.kmem.usage_in_bytes",
            maxheld: "memory.kmem.max_usage_in_bytes"),
        Row(bc: .kmemsize, version: .v2, controller: "memory", held: "memory.stat kernel"),
        Row(bc: .lockedpages, version: .v1, controller: "memory", held: "memory.stat total_unevictable", scale: 4096),
        Row(bc: .lockedpages, version: .v2, controller: "memory", held: "memory.stat unevictable", scale: 4096),
        Row(bc: .shmpages, version: .v1, controller: "memory", held: "memory.stat total_shmem", scale: 4096),
        Row(bc: .shmpages, version: .v2, controller: "memory", held: "memory.stat shmem", scale: 4096),
        Row(bc: .numproc, version: .v1, controller: "pids", held: "pids.current", maxheld: "pids.peak",
            failcnt: "pids.events max", limit: "pids.max"),
        Row(bc: .numproc, version: .v2, controller: "pids", held: "pids.current", maxheld: "pids.peak",
            failcnt: "pids.events max", limit: "pids.max"),
        Row(bc: .physpages, version: .v1, controller: "memory", held: "memory.usage_in_bytes",
            maxheld: "memory.max_usage_in_bytes", failcnt: "memory.failcnt", limit: "memory.limit_in_bytes", scale: 4096),
        Row(bc: .physpages, version: .v2, controller: "memory", held: "memory.current", maxheld: "memory.peak",
            failcnt: "memory.events max", limit: "memory.max", scale: 4096),
        Row(bc: .oomguarpages, version: .v1, controller: "memory", held: "memory.memsw.usage_in_bytes",
            maxheld: "memory.memsw.max_usage_in_bytes", failcnt: "memory.oom_control oom_kill", scale: 4096),
        Row(bc: .oomguarpages, version: .v2, controller: "memory", held: "memory.current + memory.swap.current",
            failcnt: "memory.events oom_kill", scale: 4096),
        Row(bc: .swappages, version: .v1, controller: "memory",
            held: "memory.memsw.usage_in_bytes - memory.usage_in_bytes",
            limit: "memory.memsw.limit_in_bytes - memory.limit_in_bytes", scale: 4096),
        Row(bc: .swappages, version: .v2, controller: "memory", held: "memory.swap.current", maxheld: "memory.swap.peak",
            failcnt: "memory.swap.events max", limit: "memory.swap.max", scale: 4096),
    ] + uncounted.flatMap { bc in [Row(bc: bc, version: .v1), Row(bc: bc, version: .v2)] }

    /// Rows no cgroup counts: nothing is claimed for them.
    static let uncounted: [Beancounter] = [
        .privvmpages, .vmguarpages, .numtcpsock, .numflock, .numpty, .numsiginfo, .tcpsndbuf, .tcprcvbuf,
        .othersockbuf, .dgramrcvbuf, .numothersock, .dcachesize, .numfile, .numiptent, .avnumproc,
    ]

    @Test func everyBeancounterIsInTheTable() {
        #expect(Set(Self.rows.map(\.bc)) == Set(Beancounter.allCases))
    }

    @Test(arguments: rows) func files(_ row: Row) {
        let f = BeancounterFiles.of(row.bc, row.version)
        #expect(f?.controller == row.controller)
        #expect(BeancounterFiles.controller(of: row.bc) == row.controller)
        #expect(f?.held?.description == row.held)
        #expect(f?.maxheld?.description == row.maxheld)
        #expect(f?.failcnt?.description == row.failcnt)
        #expect(f?.limit?.description == row.limit)
        if let f { #expect(f.scale == row.scale) }
        // Only NUMPROC's kernel number is its barrier as well.
        #expect((f?.limitIsAlsoBarrier ?? false) == (row.bc == .numproc))
    }

    /// Before 6.13 every v1 counter counted its refusals.
    @Test func oldKernels() {
        let old = KernelRelease(6, 12)
        #expect(BeancounterFiles.of(.kmemsize, .v1, kernel: old)?.failcnt?.description == "memory.kmem.failcnt")
        #expect(BeancounterFiles.of(.swappages, .v1, kernel: old)?.failcnt?.description == "memory.memsw.failcnt")
        #expect(BeancounterFiles.of(.swappages, .v1, kernel: KernelRelease(6, 13))?.failcnt == nil)
        #expect(BeancounterFiles.of(.physpages, .v1, kernel: KernelRelease(6, 18))?.failcnt?.description == "memory.failcnt")
        // v2 counts in memory.events / memory.swap.events on every kernel.
        #expect(BeancounterFiles.of(.swappages, .v2, kernel: old)?.failcnt?.description == "memory.swap.events max")
        #expect(KernelRelease("6.18.44-fc-v657") == KernelRelease(6, 18))
        #expect(KernelRelease("5.4.0-150-generic") == KernelRelease(5, 4))
        #expect(KernelRelease("4.19") == KernelRelease(4, 19))
        #expect(KernelRelease("") == nil)
        #expect(KernelRelease("linux") == nil)
    }

    @Test func counterTexts() {
        #expect(CounterText.value("123\n") == 123)
        #expect(CounterText.value("max\n") == ScaledNumber.unlimited)
        // v1's "no limit" is PAGE_COUNTER_MAX pages in bytes.
        #expect(CounterText.value("9223372036854771712\n") == ScaledNumber.unlimited)
        #expect(CounterText.value("") == nil)
        #expect(CounterText.value("12 kB") == nil)
        let stat = "cache 0\nrss 57344\nshmem 8192\ntotal_shmem 16384\n"
        #expect(CounterText.entry(stat, key: "shmem") == 8192)
        #expect(CounterText.entry(stat, key: "total_shmem") == 16384)
        #expect(CounterText.entry(stat, key: "kernel") == nil)
        #expect(CounterText.entry("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", key: "oom_kill") == 3)
        #expect(CounterText.entry("max 0\n", key: "max") == 0)
    }

    /// v1 files as this kernel writes them, through the pure evaluation.
    @Test func v1Readings() {
        let files: [String: String] = [
            "memory.usage_in_bytes": "270336\n", "memory.max_usage_in_bytes": "1318912\n", "memory.failcnt": "7\n",
            "memory.limit_in_bytes": "268435456\n", "memory.memsw.usage_in_bytes": "4464640\n",
            "memory.memsw.max_usage_in_bytes": "5000000\n", "memory.memsw.limit_in_bytes": "805306368\n",
            "memory.memsw.failcnt": "2\n", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
            "memory.stat": "shmem 0\ntotal_shmem 40960\ntotal_unevictable 8192\n",
            "memory.kmem.usage_in_bytes": "110592\n",
        ]
        func read(_ bc: Beancounter, _ c: BeancounterColumns = .all) -> BeancounterReading {
            BeancounterReader.reading(BeancounterFiles.of(bc, .v1, kernel: KernelRelease(6, 1))!, c) { files[$0] }
        }
        #expect(read(.physpages) == BeancounterReading(held: 66, maxheld: 322, failcnt: 7, limit: 65536))
        // Swap = memsw − memory: 4194304 bytes in use, 512 MiB allowed.
        #expect(read(.swappages) == BeancounterReading(held: 1024, maxheld: nil, failcnt: 2, limit: 131072))
        #expect(read(.oomguarpages) == BeancounterReading(held: 1090, maxheld: 1220, failcnt: 1))
        #expect(read(.shmpages) == BeancounterReading(held: 10))
        #expect(read(.lockedpages) == BeancounterReading(held: 2))
        // Bytes row: not scaled; its peak file is missing here: nil, not 0.
        #expect(read(.kmemsize) == BeancounterReading(held: 110592))
        // Only the columns asked for.
        #expect(read(.physpages, [.failcnt]) == BeancounterReading(failcnt: 7))
    }

    @Test func v2Readings() {
        var files: [String: String] = [
            "memory.current": "1048576\n", "memory.peak": "2097152\n", "memory.max": "max\n",
            "memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n",
            "memory.swap.current": "4096\n", "memory.swap.peak": "8192\n", "memory.swap.max": "0\n",
            "memory.swap.events": "high 0\nmax 9\nfail 9\n",
            "pids.current": "12\n", "pids.peak": "50\n", "pids.max": "50\n", "pids.events": "max 17\n",
            "memory.stat": "anon 0\nkernel 339968\nshmem 1048576\nunevictable 0\n",
        ]
        func read(_ bc: Beancounter, _ c: BeancounterColumns = .all) -> BeancounterReading {
            BeancounterReader.reading(BeancounterFiles.of(bc, .v2)!, c) { files[$0] }
        }
        #expect(read(.physpages) == BeancounterReading(held: 256, maxheld: 512, failcnt: 4, limit: ScaledNumber.unlimited))
        #expect(read(.swappages) == BeancounterReading(held: 1, maxheld: 2, failcnt: 9, limit: 0))
        #expect(read(.oomguarpages) == BeancounterReading(held: 257, failcnt: 1))
        // pids.max is NUMPROC's barrier and limit both.
        #expect(read(.numproc) == BeancounterReading(held: 12, maxheld: 50, failcnt: 17, barrier: 50, limit: 50))
        #expect(read(.kmemsize) == BeancounterReading(held: 339968))
        #expect(read(.shmpages) == BeancounterReading(held: 256))
        // A kernel before 5.19 has no memory.peak: no maxheld, nothing made up.
        files["memory.peak"] = nil
        #expect(read(.physpages).maxheld == nil)
        #expect(read(.physpages).held == 256)
    }
}
