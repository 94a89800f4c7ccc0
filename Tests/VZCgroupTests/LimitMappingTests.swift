import Testing
import VZConfig
@testable import VZCgroup

/// `LimitMapping` table by table: for each config, the exact cgroup files
/// and values on v1 and on v2, the rlimits, the devpts max, the shm
/// sysctls, and what is reported as not enforced.
@Suite struct LimitMappingTests {
    static let disk = LimitHost.BlockDevice(major: 254, minor: 0)
    static let v1 = LimitHost.uniform(.v1, blockDevice: disk, parentCpus: "0-3", parentMems: "0-1")
    static let v2 = LimitHost.uniform(.v2, blockDevice: disk)

    static func config(_ lines: String) -> ContainerConfig {
        ContainerConfig(ctid: ContainerID("101")!, global: ConfigFile(), container: ConfigFile(text: lines))
    }

    static func plan(_ lines: String, _ host: LimitHost) throws -> LimitPlan {
        try LimitMapping.plan(config(lines), host: host)
    }

    struct Row: Sendable, CustomStringConvertible {
        var config: String
        var v1: [String]
        var v2: [String]
        var description: String { config }
    }

    /// Every cgroup key, with what a new cgroup already has left out.
    static let cgroupRows: [Row] = [
        // vswap: --ram 64M --swap 0
        Row(config: "PHYSPAGES=\"0:16384\"\nSWAPPAGES=\"0:0\"",
            v1: ["memory.limit_in_bytes=67108864", "memory.memsw.limit_in_bytes=67108864"],
            v2: ["memory.max=67108864", "memory.swap.max=0"]),
        // the vswap-256m sample, suffixes as samples write them
        Row(config: "PHYSPAGES=\"0:256M\"\nSWAPPAGES=\"0:512M\"",
            v1: ["memory.limit_in_bytes=268435456", "memory.memsw.limit_in_bytes=805306368"],
            v2: ["memory.max=268435456", "memory.swap.max=536870912"]),
        Row(config: "PHYSPAGES=\"0:1G\"\nSWAPPAGES=\"0:unlimited\"",
            v1: ["memory.limit_in_bytes=1073741824"], v2: ["memory.max=1073741824"]),
        // pre-vswap samples: no RAM limit, so nothing to write
        Row(config: "PHYSPAGES=\"0:unlimited\"", v1: [], v2: []),
        Row(config: "VMGUARPAGES=\"33792:unlimited\"",
            v1: ["memory.soft_limit_in_bytes=138412032"], v2: ["memory.low=138412032"]),
        Row(config: "VMGUARPAGES=\"unlimited\"", v1: [], v2: ["memory.low=max"]),
        Row(config: "OOMGUARPAGES=\"26112:unlimited\"", v1: [], v2: ["memory.min=106954752"]),
        Row(config: "NUMPROC=\"240:240\"", v1: ["pids.max=240"], v2: ["pids.max=240"]),
        Row(config: "NUMPROC=\"100:120\"", v1: ["pids.max=120"], v2: ["pids.max=120"]),
        Row(config: "NUMPROC=\"unlimited\"", v1: [], v2: []),
        Row(config: "CPUUNITS=\"1000\"", v1: [], v2: []),
        Row(config: "CPUUNITS=\"2000\"", v1: ["cpu.shares=2048"], v2: ["cpu.weight=200"]),
        Row(config: "CPUUNITS=\"250\"", v1: ["cpu.shares=256"], v2: ["cpu.weight=25"]),
        Row(config: "CPUUNITS=\"8\"", v1: ["cpu.shares=8"], v2: ["cpu.weight=1"]),
        Row(config: "CPUUNITS=\"500000\"", v1: ["cpu.shares=262144"], v2: ["cpu.weight=10000"]),
        Row(config: "CPUUWEIGHT=\"500\"", v1: ["cpu.shares=512"], v2: ["cpu.weight=50"]),
        Row(config: "CPULIMIT=\"50\"", v1: ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000"], v2: ["cpu.max=50000 100000"]),
        Row(config: "CPULIMIT=\"250\"", v1: ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=250000"], v2: ["cpu.max=250000 100000"]),
        Row(config: "CPULIMIT=\"0\"", v1: [], v2: []),
        Row(config: "CPUS=\"2\"", v1: ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=200000"], v2: ["cpu.max=200000 100000"]),
        // the smaller quota wins (vzctl 4.x upstream mode)
        Row(config: "CPULIMIT=\"150\"\nCPUS=\"1\"", v1: ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=100000"], v2: ["cpu.max=100000 100000"]),
        Row(config: "CPULIMIT=\"1\"", v1: ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=1000"], v2: ["cpu.max=1000 100000"]),
        Row(config: "CPUMASK=\"0,2-3\"", v1: ["cpuset.cpus=0,2-3"], v2: ["cpuset.cpus=0,2-3"]),
        Row(config: "CPUMASK=\"all\"\nNODEMASK=\"all\"", v1: [], v2: []),
        Row(config: "CPUMASK=\"auto\"", v1: [], v2: []),
        Row(config: "NODEMASK=\"1\"", v1: ["cpuset.mems=1"], v2: ["cpuset.mems=1"]),
        Row(config: "IOPRIO=\"4\"", v1: [], v2: []),
        Row(config: "IOPRIO=\"7\"", v1: ["blkio.weight=1000"], v2: ["io.weight=default 800"]),
        Row(config: "IOPRIO=\"5\"", v1: ["blkio.weight=1000"], v2: ["io.weight=default 200"]),
        Row(config: "IOPRIO=\"0\"", v1: ["blkio.weight=31"], v2: ["io.weight=default 6"]),
        Row(config: "IOLIMIT=\"10485760\"",
            v1: ["blkio.throttle.read_bps_device=254:0 10485760", "blkio.throttle.write_bps_device=254:0 10485760"],
            v2: ["io.max=254:0 rbps=10485760 wbps=10485760 riops=max wiops=max"]),
        Row(config: "IOPSLIMIT=\"300\"",
            v1: ["blkio.throttle.read_iops_device=254:0 300", "blkio.throttle.write_iops_device=254:0 300"],
            v2: ["io.max=254:0 rbps=max wbps=max riops=300 wiops=300"]),
        Row(config: "IOLIMIT=\"0\"\nIOPSLIMIT=\"0\"", v1: [], v2: []),
        // keys that are no cgroup file
        Row(config: "NUMFILE=\"9312\"\nNUMPTY=\"16\"\nSHMPAGES=\"21504\"\nKMEMSIZE=\"14372700:14790164\"", v1: [], v2: []),
    ]

    @Test(arguments: cgroupRows)
    func cgroupFiles(_ row: Row) throws {
        #expect(try Self.plan(row.config, Self.v1).cgroup.map(\.description) == row.v1)
        #expect(try Self.plan(row.config, Self.v2).cgroup.map(\.description) == row.v2)
    }

    @Test func everyWriteNamesItsKeyControllerAndDefault() throws {
        let all = """
            PHYSPAGES="0:16384"
            SWAPPAGES="0:1"
            VMGUARPAGES="1"
            OOMGUARPAGES="1"
            NUMPROC="50"
            CPUUNITS="2000"
            CPULIMIT="50"
            CPUMASK="1"
            NODEMASK="1"
            IOPRIO="7"
            IOLIMIT="1"
            IOPSLIMIT="1"
            """
        let v1 = try Self.plan(all, Self.v1).cgroup.map { "\($0.key) \($0.controller) \($0.file) \($0.reset)" }
        #expect(v1 == [
            "PHYSPAGES memory memory.limit_in_bytes -1", "SWAPPAGES memory memory.memsw.limit_in_bytes -1",
            "VMGUARPAGES memory memory.soft_limit_in_bytes -1", "NUMPROC pids pids.max max",
            "CPUUNITS cpu cpu.shares 1024", "CPULIMIT cpu cpu.cfs_period_us 100000", "CPULIMIT cpu cpu.cfs_quota_us -1",
            "CPUMASK cpuset cpuset.cpus 0-3", "NODEMASK cpuset cpuset.mems 0-1", "IOPRIO blkio blkio.weight 500",
            "IOLIMIT blkio blkio.throttle.read_bps_device 254:0 0", "IOLIMIT blkio blkio.throttle.write_bps_device 254:0 0",
            "IOPSLIMIT blkio blkio.throttle.read_iops_device 254:0 0", "IOPSLIMIT blkio blkio.throttle.write_iops_device 254:0 0",
        ])
        let v2 = try Self.plan(all, Self.v2).cgroup.map { "\($0.key) \($0.controller) \($0.file) \($0.reset)" }
        #expect(v2 == [
            "PHYSPAGES memory memory.max max", "SWAPPAGES memory memory.swap.max max", "VMGUARPAGES memory memory.low 0",
            "OOMGUARPAGES memory memory.min 0", "NUMPROC pids pids.max max", "CPUUNITS cpu cpu.weight 100",
            "CPULIMIT cpu cpu.max max 100000", "CPUMASK cpuset cpuset.cpus ", "NODEMASK cpuset cpuset.mems ",
            "IOPRIO io io.weight default 100", "IOLIMIT io io.max 254:0 rbps=max wbps=max riops=max wiops=max",
        ])
        // `defaults` is every one of them at its default, for --reset_ub.
        #expect(try LimitMapping.defaults(host: Self.v1).map(\.description) == Self.plan(all, Self.v1).cgroup.map { "\($0.file)=\($0.reset)" })
        #expect(try LimitMapping.defaults(host: Self.v2).map(\.description) == Self.plan(all, Self.v2).cgroup.map { "\($0.file)=\($0.reset)" })
    }

    @Test func processLimitsPtyAndShm() throws {
        let p = try Self.plan("""
            NUMFILE="9312:10000"
            LOCKEDPAGES="2048"
            NUMSIGINFO="256:512"
            NUMPTY="16:16"
            SHMPAGES="21504"
            """, Self.v1)
        #expect(p.rlimits == [
            ProcessLimit("NUMFILE", .nofile, soft: 9312, hard: 10000),
            ProcessLimit("LOCKEDPAGES", .memlock, soft: 8_388_608, hard: 8_388_608),
            ProcessLimit("NUMSIGINFO", .sigpending, soft: 256, hard: 512),
        ])
        #expect(p.ptyMax == 16)
        #expect(p.shm == ShmLimit(shmall: 21504, shmmax: 88_080_384))
        #expect(try Self.plan("", Self.v2) == LimitPlan())

        // unlimited: RLIM_INFINITY, NOFILE capped at fs.nr_open (higher is EPERM).
        let u = try Self.plan("NUMFILE=\"unlimited\"\nLOCKEDPAGES=\"unlimited\"\nNUMSIGINFO=\"unlimited\"\nNUMPTY=\"unlimited\"\nSHMPAGES=\"unlimited\"", Self.v2)
        #expect(u.rlimits.map(\.description) == ["RLIMIT_NOFILE=1048576:1048576", "RLIMIT_MEMLOCK=unlimited:unlimited", "RLIMIT_SIGPENDING=unlimited:unlimited"])
        #expect(u.ptyMax == nil && u.shm == nil)
        // A barrier above the limit is the limit (setrlimit refuses soft > hard).
        #expect(try Self.plan("NUMFILE=\"500:100\"", Self.v1).rlimits == [ProcessLimit("NUMFILE", .nofile, soft: 100, hard: 100)])
        var small = Self.v1
        small.nrOpen = 4096
        #expect(try LimitMapping.plan(Self.config("NUMFILE=\"9312\""), host: small).rlimits == [ProcessLimit("NUMFILE", .nofile, soft: 4096, hard: 4096)])
    }

    @Test func keysWithoutEquivalentAreReportedNotPretended() throws {
        // ve-basic: every old-style counter set.
        let basic = """
            KMEMSIZE="14372700:14790164"
            LOCKEDPAGES="2048:2048"
            PRIVVMPAGES="65536:69632"
            SHMPAGES="21504:21504"
            NUMPROC="240:240"
            PHYSPAGES="0:unlimited"
            VMGUARPAGES="33792:unlimited"
            OOMGUARPAGES="26112:unlimited"
            NUMTCPSOCK="360:360"
            NUMFLOCK="188:206"
            NUMPTY="16:16"
            NUMSIGINFO="256:256"
            TCPSNDBUF="1720320:2703360"
            TCPRCVBUF="1720320:2703360"
            OTHERSOCKBUF="1126080:2097152"
            DGRAMRCVBUF="262144:262144"
            NUMOTHERSOCK="360:360"
            DCACHESIZE="3409920:3624960"
            NUMFILE="9312:9312"
            AVNUMPROC="180:180"
            NUMIPTENT="128:128"
            """
        for host in [Self.v1, Self.v2] {
            let p = try Self.plan(basic, host)
            #expect(p.unenforced == ["KMEMSIZE", "PRIVVMPAGES", "NUMTCPSOCK", "NUMFLOCK", "TCPSNDBUF", "TCPRCVBUF",
                                     "OTHERSOCKBUF", "DGRAMRCVBUF", "NUMOTHERSOCK", "DCACHESIZE", "NUMIPTENT"])
            // Every .notEnforced key is in the list, and nothing else.
            #expect(Set(p.unenforced) == Set(Beancounter.allCases.filter { $0.enforcement == .notEnforced }.map(\.key)))
        }
        // OOMGUARPAGES has no memory.min on v1: said, not skipped in silence.
        #expect(try Self.plan(basic, Self.v1).warnings.map(\.message) == ["OOMGUARPAGES is not enforced on cgroup v1 (no memory.min)"])
        #expect(try Self.plan(basic, Self.v2).warnings.isEmpty)
        // unlimited is nothing to enforce.
        #expect(try Self.plan("NUMTCPSOCK=\"unlimited\"\nKMEMSIZE=\"unlimited:unlimited\"", Self.v1).unenforced.isEmpty)
    }

    @Test func ramWithoutSwapIsVzctlsError28() {
        let e = #expect(throws: VZError.self) { try Self.plan("PHYSPAGES=\"0:1G\"", Self.v2) }
        #expect(e?.code == .notEnoughUBCParams)
        #expect(throws: Never.self) { try Self.plan("PHYSPAGES=\"0:unlimited\"", Self.v2) }
    }

    /// What this host cannot do is a warning naming the keys.
    @Test func hostLimitationsAreWarnings() throws {
        var h = Self.v1
        h.swapAccounting = false
        h.ioWeightFile = nil
        h.blockDevice = nil
        let p = try LimitMapping.plan(Self.config("PHYSPAGES=\"0:1G\"\nSWAPPAGES=\"0:1G\"\nIOPRIO=\"6\"\nIOLIMIT=\"1048576\""), host: h)
        #expect(p.cgroup.map(\.description) == ["memory.limit_in_bytes=1073741824"])
        #expect(p.warnings.map(\.keys) == [["SWAPPAGES"], ["IOPRIO"], ["IOLIMIT", "IOPSLIMIT"]])
        #expect(p.warnings[2].message.contains("not on a block device"))

        let bare = LimitHost()
        let q = try LimitMapping.plan(Self.config("NUMPROC=\"50\"\nPHYSPAGES=\"0:1G\"\nSWAPPAGES=\"0:0\"\nCPUUNITS=\"2000\"\nCPUMASK=\"1\""), host: bare)
        #expect(q.cgroup.isEmpty)
        #expect(q.warnings.count == 4)

        // v1 counts RAM+swap together: swap alone cannot be limited.
        let s = try Self.plan("SWAPPAGES=\"0:1000\"", Self.v1)
        #expect(s.cgroup.isEmpty && s.warnings.map(\.keys) == [["PHYSPAGES", "SWAPPAGES"]])
        #expect(try Self.plan("SWAPPAGES=\"0:1000\"", Self.v2).cgroup.map(\.description) == ["memory.swap.max=4096000"])

        // A hybrid host: memory on v1, pids and cpu on v2.
        let hybrid = LimitHost(memory: .v1, pids: .v2, cpu: .v2, swapAccounting: true)
        let m = try LimitMapping.plan(Self.config("PHYSPAGES=\"0:1\"\nSWAPPAGES=\"0:1\"\nNUMPROC=\"7\"\nCPUUNITS=\"3000\""), host: hybrid)
        #expect(m.cgroup.map { "\($0.controller):\($0.description)" } == [
            "memory:memory.limit_in_bytes=4096", "memory:memory.memsw.limit_in_bytes=8192", "pids:pids.max=7", "cpu:cpu.weight=300",
        ])
    }

    /// A live change writes every file of the changed keys (and of keys
    /// sharing a file with them), with the default where the new config
    /// asks for nothing.
    @Test func liveChangesWriteTheChangedKeysFiles() throws {
        let p = try Self.plan("NUMPROC=\"unlimited\"\nPHYSPAGES=\"0:16384\"\nSWAPPAGES=\"0:0\"\nCPULIMIT=\"0\"\nCPUS=\"1\"\nNUMPTY=\"unlimited\"", Self.v1)
        let defaults = LimitMapping.defaults(host: Self.v1)
        func live(_ keys: Set<String>) -> [String] { p.restricted(to: LimitMapping.related(keys), defaults: defaults).cgroup.map(\.description) }
        #expect(live(["NUMPROC"]) == ["pids.max=max"])
        #expect(live(["PHYSPAGES"]) == ["memory.limit_in_bytes=67108864", "memory.memsw.limit_in_bytes=67108864"])
        #expect(live(["SWAPPAGES"]) == live(["PHYSPAGES"]))
        #expect(live(["CPULIMIT"]) == ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=100000"])
        #expect(live(["CPUMASK"]) == ["cpuset.cpus=0-3"])
        #expect(live(["HOSTNAME"]).isEmpty)
        let pty = p.restricted(to: ["NUMPTY", "SHMPAGES"], defaults: defaults)
        #expect(pty.ptyMax == LimitPlan.devptsDefaultMax && pty.shm == ShmLimit.namespaceDefault)
        #expect(pty.cgroup.isEmpty && pty.rlimits.isEmpty)
        #expect(LimitMapping.related(["CPUS"]) == ["CPUS", "CPULIMIT"])
    }

    @Test func exitCodesPerKey() {
        #expect(LimitMapping.exitCode(forKey: "NUMPROC") == .setUBC)
        #expect(LimitMapping.exitCode(forKey: "PHYSPAGES") == .setUBC)
        #expect(LimitMapping.exitCode(forKey: "CPUMASK") == .setCPU)
        #expect(LimitMapping.exitCode(forKey: "CPUUNITS") == .setCPU)
        #expect(LimitMapping.exitCode(forKey: "IOLIMIT") == .setIO)
        #expect(LimitMapping.keys.isSuperset(of: ["NUMPROC", "DCACHE", "IPTENTRIES", "CPUS", "IOPSLIMIT"]))
    }
}
