import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// `BeancounterReader` on fake cgroupfs trees in a temp dir: a pure v2 host
/// (the VPS's leaf below `vz`, made by `CgroupV2.create`) and a v1 host
/// (memory and pids hierarchies), file by file: each number comes from its
/// own file, and a file the kernel lacks costs exactly the numbers behind it.
@Suite struct BeancounterReaderTests {
    static let v2Files: [String: String] = [
        "memory.current": "1048576\n", "memory.peak": "2097152\n", "memory.max": "268435456\n",
        "memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n",
        "memory.swap.current": "0\n", "memory.swap.peak": "4096\n", "memory.swap.max": "max\n",
        "memory.swap.events": "high 0\nmax 0\nfail 0\n",
        "memory.stat": "anon 12288\nfile 0\nkernel 339968\nshmem 8192\nunevictable 4096\n",
        "pids.current": "3\n", "pids.peak": "9\n", "pids.max": "50\n", "pids.events": "max 2\n",
    ]

    static let v2Expected: [Beancounter: BeancounterReading] = [
        .kmemsize: BeancounterReading(held: 339968),
        .lockedpages: BeancounterReading(held: 1),
        .shmpages: BeancounterReading(held: 2),
        .numproc: BeancounterReading(held: 3, maxheld: 9, failcnt: 2, barrier: 50, limit: 50),
        .physpages: BeancounterReading(held: 256, maxheld: 512, failcnt: 4, limit: 65536),
        .oomguarpages: BeancounterReading(held: 256, failcnt: 1),
        .swappages: BeancounterReading(held: 0, maxheld: 1, failcnt: 0, limit: ScaledNumber.unlimited),
    ]

    /// A v2 leaf made the way start makes it, then filled with `files`.
    static func v2Tree(_ files: [String: String]) throws -> (FakeV2Tree, ContainerCgroup) {
        let t = try FakeV2Tree()
        let c = t.container()
        try c.create()
        for (name, text) in files { try t.set("vz/101/" + name, text) }
        return (t, c)
    }

    @Test func v2EveryRowFromItsFiles() throws {
        let (t, c) = try Self.v2Tree(Self.v2Files)
        defer { t.close() }
        let r = BeancounterReader(cgroup: c, kernel: KernelRelease(6, 18)).read(.everything)
        #expect(r == Self.v2Expected)
    }

    /// Removing one file loses exactly the numbers that come from it.
    @Test(arguments: v2Files.keys.sorted()) func v2FileByFile(_ missing: String) throws {
        var files = Self.v2Files
        files[missing] = nil
        let (t, c) = try Self.v2Tree(files)
        defer { t.close() }
        // The fake tree's mkdir makes a new cgroup's interface files as the
        // kernel does: take the one under test away again.
        _ = Glibc.unlink(t.root + "/vz/101/" + missing)
        let r = BeancounterReader(cgroup: c, kernel: KernelRelease(6, 18)).read(.everything)
        var expected = Self.v2Expected
        for (bc, var reading) in expected {
            let f = try #require(BeancounterFiles.of(bc, .v2, kernel: KernelRelease(6, 18)))
            if f.held?.files.contains(missing) == true { reading.held = nil }
            if f.maxheld?.files.contains(missing) == true { reading.maxheld = nil }
            if f.failcnt?.files.contains(missing) == true { reading.failcnt = nil }
            if f.limit?.files.contains(missing) == true {
                reading.limit = nil
                if f.limitIsAlsoBarrier { reading.barrier = nil }
            }
            expected[bc] = reading
        }
        #expect(r == expected)
        #expect(r != Self.v2Expected, "\(missing) backs some number")
    }

    /// `vzlist -o numproc` needs pids.current alone.
    @Test func onlyTheRequestedFiles() throws {
        let (t, c) = try Self.v2Tree(["pids.current": "5\n"])
        defer { t.close() }
        var q = BeancounterQuery()
        q.add(.numproc, .held)
        #expect(BeancounterReader(cgroup: c, kernel: KernelRelease(6, 18)).read(q) == [.numproc: BeancounterReading(held: 5)])
    }

    /// Rows no cgroup counts are not answered here (ContainerAccounting
    /// gives them empty readings; numpty comes from devpts).
    @Test func uncountedRowsAreLeftOut() throws {
        let (t, c) = try Self.v2Tree(Self.v2Files)
        defer { t.close() }
        let r = BeancounterReader(cgroup: c, kernel: KernelRelease(6, 18)).read(BeancounterQuery([.privvmpages: .all, .numpty: .all, .numfile: .all]))
        #expect(r.isEmpty)
    }

    @Test func v1HierarchiesFileByFile() throws {
        let dir = try TempDir("ubc-v1")
        defer { dir.close() }
        let mountinfo = """
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids

            """
        let layout = try #require(CgroupLayout.parse(mountinfo: mountinfo, root: dir.path, cgroupNamespaces: true))
        let c = ContainerCgroup(layout: layout, relativePath: "vz/101", ctid: ContainerID("101")!)
        let memory = dir.path + "/sys/fs/cgroup/memory/vz/101"
        let pids = dir.path + "/sys/fs/cgroup/pids/vz/101"
        try Files.makeDirectories(memory)
        try Files.makeDirectories(pids)
        let files: [(String, String)] = [
            (memory + "/memory.usage_in_bytes", "409600\n"), (memory + "/memory.max_usage_in_bytes", "819200\n"),
            (memory + "/memory.failcnt", "3\n"), (memory + "/memory.limit_in_bytes", "9223372036854771712\n"),
            (memory + "/memory.memsw.usage_in_bytes", "413696\n"), (memory + "/memory.memsw.limit_in_bytes", "9223372036854771712\n"),
            (memory + "/memory.memsw.failcnt", "0\n"),
            (memory + "/memory.stat", "shmem 0\nunevictable 0\ntotal_shmem 4096\ntotal_unevictable 0\n"),
            (pids + "/pids.current", "4\n"), (pids + "/pids.max", "max\n"), (pids + "/pids.events", "max 0\n"),
        ]
        for (p, text) in files { try writeFile(p, text) }
        let r = BeancounterReader(cgroup: c, kernel: KernelRelease(6, 18)).read(BeancounterQuery([.physpages: .all, .swappages: .all, .numproc: .all, .shmpages: .all]))
        #expect(r[.physpages] == BeancounterReading(held: 100, maxheld: 200, failcnt: 3, limit: ScaledNumber.unlimited))
        // 6.13+ keeps no memsw failcnt: none is claimed.
        #expect(r[.swappages] == BeancounterReading(held: 1, failcnt: nil, limit: ScaledNumber.unlimited))
        // No pids.peak on this (older) kernel: no maxheld.
        #expect(r[.numproc] == BeancounterReading(held: 4, failcnt: 0, barrier: ScaledNumber.unlimited, limit: ScaledNumber.unlimited))
        #expect(r[.shmpages] == BeancounterReading(held: 1))
    }
}
