import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// The limit plans written through the backends: cgroup v2 file by file on
/// a fake tree (our machines have no v2 controllers), cgroup v1 on this
/// machine's kernel, which reads every value back as it took it.
@Suite struct LimitApplyTests {
    static let every = """
        PHYSPAGES="0:64M"
        SWAPPAGES="0:32M"
        VMGUARPAGES="16M"
        OOMGUARPAGES="8M"
        NUMPROC="50"
        CPUUNITS="2000"
        CPULIMIT="50"
        CPUMASK="0"
        NODEMASK="0"
        IOPRIO="6"
        IOLIMIT="1048576"
        IOPSLIMIT="100"
        NUMFILE="64"
        NUMPTY="4"
        SHMPAGES="1000"
        """

    static func config(_ text: String) -> ContainerConfig {
        ContainerConfig(ctid: ContainerID("101")!, global: ConfigFile(), container: ConfigFile(text: text))
    }

    @Test func v2PlanOnAFakeTreeFileByFile() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = t.container()
        try c.create()
        // The facts come from the tree: v2 everywhere, swap accounting
        // (memory.swap.max exists), io.weight; no v1 parents.
        var host = LimitHost.probe(c, privatePath: nil)
        #expect(host.memory == .v2 && host.pids == .v2 && host.cpu == .v2 && host.cpuset == .v2 && host.io == .v2)
        #expect(host.swapAccounting && host.ioWeightFile == "io.weight" && host.parentCpus == nil && host.blockDevice == nil)
        host.blockDevice = .init(major: 8, minor: 0)

        let plan = try LimitMapping.plan(Self.config(Self.every), host: host)
        try c.apply(plan.cgroup)
        let expected: [String: String] = [
            "memory.max": "67108864", "memory.swap.max": "33554432", "memory.low": "16777216", "memory.min": "8388608",
            "pids.max": "50", "cpu.weight": "200", "cpu.max": "50000 100000", "cpuset.cpus": "0", "cpuset.mems": "0",
            "io.weight": "default 400", "io.max": "8:0 rbps=1048576 wbps=1048576 riops=100 wiops=100",
        ]
        for (file, value) in expected { #expect(t.file("vz/101/" + file) == value, "\(file)") }
        // Untouched: what a new cgroup has.
        #expect(t.file("vz/101/memory.high") == "max\n")
        // Controllers enabled in every ancestor, none in the leaf, no
        // process anywhere but where a test puts one.
        #expect(t.file("cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(t.file("vz/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(t.file("vz/101/cgroup.subtree_control") == "")
        for rel in ["cgroup.procs", "vz/cgroup.procs", "vz/101/cgroup.procs"] { #expect(t.file(rel) == "", "\(rel)") }

        // Every file back to its default: what --reset_ub writes for keys
        // the saved config no longer sets.
        try c.apply(LimitMapping.defaults(host: host))
        let defaults: [String: String] = [
            "memory.max": "max", "memory.swap.max": "max", "memory.low": "0", "memory.min": "0", "pids.max": "max",
            "cpu.weight": "100", "cpu.max": "max 100000", "cpuset.cpus": "\n", "cpuset.mems": "\n", "io.weight": "default 100",
            "io.max": "8:0 rbps=max wbps=max riops=max wiops=max",
        ]
        for (file, value) in defaults { #expect(t.file("vz/101/" + file) == value, "\(file)") }
    }

    @Test func v2RefusalNamesKeyFileAndCode() throws {
        let t = try FakeV2Tree(offering: "memory pids")
        defer { t.close() }
        let c = t.container()
        try c.create()
        // A read-only file stands in for a value the kernel refuses.
        #expect(unlink(t.root + "/vz/101/pids.max") == 0 && symlink("/proc/version", t.root + "/vz/101/pids.max") == 0)
        let e = #expect(throws: VZError.self) { try c.apply([CgroupWrite("NUMPROC", "pids", "pids.max", "50", reset: "max")]) }
        #expect(e?.code == .setUBC)
        #expect(e?.message.contains("NUMPROC: pids.max = 50") == true)
        // A controller the host lacks (no cpu here) is an error too, never a skip.
        let f = #expect(throws: VZError.self) { try c.apply([CgroupWrite("CPULIMIT", "cpu", "cpu.max", "1 2", reset: "max")]) }
        #expect(f?.code == .setCPU)
    }
}

/// The v1 backend against this machine's kernel (hybrid host).
@Suite(.serialized, .enabled(if: hostLayout != nil, "needs root and v1 cgroups"))
struct RealLimitTests {
    let host = hostLayout!

    @Test func v1PlanReadsBackAsWritten() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        var facts = LimitHost.probe(c, privatePath: "/")
        #expect(facts.memory == .v1 && facts.pids == .v1 && facts.cpu == .v1 && facts.cpuset == .v1 && facts.io == .v1)
        #expect(facts.swapAccounting == Files.exists(host.v1Hierarchy(for: "memory")!.mountPoint + "/memory.memsw.limit_in_bytes"))
        #expect(facts.parentCpus == readFile(host.v1Hierarchy(for: "cpuset")!.mountPoint + "/" + n.node.directoryName + "/cpuset.cpus")?.trimmed())
        #expect(facts.blockDevice != nil, "/ is on a block device here")
        // Pin the device to one that throttling accepts on any machine: the root disk's.
        if let (a, b) = rootDevice() { facts.blockDevice = .init(major: a, minor: b) }
        let dev = facts.blockDevice!.description

        let plan = try LimitMapping.plan(LimitApplyTests.config(LimitApplyTests.every), host: facts)
        try c.apply(plan.cgroup)
        func read(_ ctl: String, _ file: String) -> String? {
            readFile(host.v1Hierarchy(for: ctl)!.mountPoint + "/" + c.relativePath + "/" + file)?.trimmed()
        }
        #expect(read("memory", "memory.limit_in_bytes") == "67108864")
        if facts.swapAccounting { #expect(read("memory", "memory.memsw.limit_in_bytes") == "100663296") }
        #expect(read("memory", "memory.soft_limit_in_bytes") == "16777216")
        #expect(read("pids", "pids.max") == "50")
        #expect(read("cpu", "cpu.shares") == "2048")
        #expect(read("cpu", "cpu.cfs_period_us") == "100000")
        #expect(read("cpu", "cpu.cfs_quota_us") == "50000")
        #expect(read("cpuset", "cpuset.cpus") == "0")
        #expect(read("cpuset", "cpuset.mems") == "0")
        #expect(read("blkio", "blkio.throttle.read_bps_device") == "\(dev) 1048576")
        #expect(read("blkio", "blkio.throttle.write_bps_device") == "\(dev) 1048576")
        #expect(read("blkio", "blkio.throttle.read_iops_device") == "\(dev) 100")
        #expect(read("blkio", "blkio.throttle.write_iops_device") == "\(dev) 100")
        // This kernel has no blkio weight file: IOPRIO is a warning.
        if facts.ioWeightFile == nil { #expect(plan.warnings.contains { $0.keys.contains("IOPRIO") }) }

        // RAM down and up again: the memsw/memory order flips each way.
        let lower = try LimitMapping.plan(LimitApplyTests.config("PHYSPAGES=\"0:16M\"\nSWAPPAGES=\"0:0\""), host: facts)
        try c.apply(lower.cgroup)
        #expect(read("memory", "memory.limit_in_bytes") == "16777216")
        if facts.swapAccounting { #expect(read("memory", "memory.memsw.limit_in_bytes") == "16777216") }
        let higher = try LimitMapping.plan(LimitApplyTests.config("PHYSPAGES=\"0:256M\"\nSWAPPAGES=\"0:256M\""), host: facts)
        try c.apply(higher.cgroup)
        #expect(read("memory", "memory.limit_in_bytes") == "268435456")
        if facts.swapAccounting { #expect(read("memory", "memory.memsw.limit_in_bytes") == "536870912") }

        // Defaults: what a new cgroup has (v1 reads "no limit" back as
        // LONG_MAX rounded down to a page).
        try c.apply(LimitMapping.defaults(host: facts))
        #expect(read("memory", "memory.limit_in_bytes") == "9223372036854771712")
        #expect(read("memory", "memory.soft_limit_in_bytes") == "9223372036854771712")
        #expect(read("pids", "pids.max") == "max")
        #expect(read("cpu", "cpu.shares") == "1024")
        #expect(read("cpu", "cpu.cfs_quota_us") == "-1")
        #expect(read("cpuset", "cpuset.cpus") == facts.parentCpus)
        #expect(read("blkio", "blkio.throttle.read_bps_device") == "")
        #expect(read("blkio", "blkio.throttle.write_iops_device") == "")
    }

    @Test func v1RefusalIsTheKernelsReason() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        // A CPU this machine does not have.
        let cpus = sysconf(Int32(_SC_NPROCESSORS_CONF))
        let e = #expect(throws: VZError.self) {
            try c.apply([CgroupWrite("CPUMASK", "cpuset", "cpuset.cpus", String(cpus + 5), reset: "0")])
        }
        #expect(e?.code == .setCPU)
        #expect(e?.errno != nil)
    }
}
