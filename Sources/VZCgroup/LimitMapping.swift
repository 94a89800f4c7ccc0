import VZConfig

/// Config → kernel: every beancounter and CPU/I/O key of a VPS's effective
/// configuration mapped onto cgroup v1 or v2 files, rlimits, the devpts
/// `max` and the IPC namespace's shm sysctls (compat §2.3/§2.4). Pure: the
/// host enters only as `LimitHost`, so the tables in the tests cover v1 and
/// v2 on any machine.
///
/// Units: page keys × 4096 = bytes; `unlimited` (LONG_MAX) is the
/// controller's own "no limit" (`max`, `-1`). A write whose value is the
/// kernel's default for a new cgroup is left out: a new cgroup already has
/// it, and a live change that drops a limit writes the default back
/// (`LimitPlan.restricted(to:defaults:)`).
public enum LimitMapping {
    /// CFS period (µs) for CPULIMIT/CPUS quotas.
    public static let period: UInt64 = 100_000

    public static let cpuKeys: Set<String> = ["CPUUNITS", "CPUUWEIGHT", "CPULIMIT", "CPUS", "CPUMASK", "NODEMASK"]
    public static let ioKeys: Set<String> = ["IOPRIO", "IOLIMIT", "IOPSLIMIT"]
    public static let beancounterKeys: Set<String> = Set(Beancounter.allCases.flatMap { [$0.key] + $0.legacyKeys })
    /// Every config key this mapping reads.
    public static let keys: Set<String> = beancounterKeys.union(cpuKeys).union(ioKeys)

    /// Keys that write the same file, so a change of one must rewrite the
    /// files of all: memsw (v1) is RAM+swap, one quota comes from CPULIMIT
    /// and CPUS, one weight from CPUUNITS or CPUUWEIGHT, v2 io.max holds
    /// both I/O limits.
    static let groups: [Set<String>] = [
        ["PHYSPAGES", "SWAPPAGES"], ["CPULIMIT", "CPUS"], ["CPUUNITS", "CPUUWEIGHT"], ["IOLIMIT", "IOPSLIMIT"],
    ]

    /// `keys` and every key sharing a file with one of them.
    public static func related(_ keys: Set<String>) -> Set<String> {
        var out = keys
        for g in groups where !g.isDisjoint(with: keys) { out.formUnion(g) }
        return out
    }

    /// vzctl's exit code when the kernel refuses a key's value (compat §5):
    /// 2 for the CPU scheduler, 148 for I/O, 1 (VZ_SETUBC_ERROR) otherwise.
    public static func exitCode(forKey key: String) -> ExitCode {
        if cpuKeys.contains(key) { return .setCPU }
        if ioKeys.contains(key) { return .setIO }
        return .setUBC
    }

    public static func plan(_ c: ContainerConfig, host: LimitHost) throws(VZError) -> LimitPlan {
        var p = LimitPlan()
        try memory(c, host, &p)
        pids(c, host, &p)
        cpu(c, host, &p)
        io(c, host, &p)
        processLimits(c, host, &p)
        namespaces(c, &p)
        for b in Beancounter.allCases where b.enforcement == .notEnforced {
            if let v = c.resource(b), !(v.isBarrierUnlimited && v.isLimitUnlimited) { p.unenforced.append(b.key) }
        }
        return p
    }

    /// Why a `.notEnforced` key has no effect, for the README and warnings.
    public static func whyNotEnforced(_ b: Beancounter) -> String {
        switch b {
        case .kmemsize, .dcachesize, .tcpsndbuf, .tcprcvbuf, .othersockbuf, .dgramrcvbuf:
            return "charged to the memory limit as a whole"
        default:
            return "no per-container counter on a stock kernel"
        }
    }

    // MARK: - Memory (vswap)

    static func bytes(_ pages: UInt64) -> UInt64 { ResourceValue.bytes(pages, unit: .pages)! }

    private static func memory(_ c: ContainerConfig, _ h: LimitHost, _ p: inout LimitPlan) throws(VZError) {
        let ram = c.resource(.physpages), swap = c.resource(.swappages)
        let vmguar = c.resource(.vmguarpages), oomguar = c.resource(.oomguarpages)
        // vzctl 4.x `check_ub`: the vswap model needs both halves.
        if let ram, !ram.isLimitUnlimited, swap == nil {
            throw VZError(.notEnoughUBCParams, "Error: required UB parameter swappages not set (needed with a physpages limit)")
        }
        let finite = [ram, swap, vmguar, oomguar].contains { $0.map { !$0.isLimitUnlimited } ?? false }
        guard let v = h.memory else {
            if finite {
                p.warnings.append(LimitWarning(["PHYSPAGES", "SWAPPAGES", "VMGUARPAGES", "OOMGUARPAGES"],
                    "the memory controller is not available: PHYSPAGES, SWAPPAGES, VMGUARPAGES and OOMGUARPAGES are not enforced"))
            }
            return
        }
        func add(_ key: String, _ file: String, _ value: String, reset: String) {
            if value != reset { p.cgroup.append(CgroupWrite(key, "memory", file, value, reset: reset)) }
        }
        let none = v == .v1 ? "-1" : "max"
        func limit(_ pages: UInt64) -> String { pages == ScaledNumber.unlimited ? none : String(bytes(pages)) }
        if let ram { add("PHYSPAGES", v == .v1 ? "memory.limit_in_bytes" : "memory.max", limit(ram.limit), reset: none) }
        if let swap {
            if !h.swapAccounting {
                if !swap.isLimitUnlimited {
                    p.warnings.append(LimitWarning(["SWAPPAGES"], "SWAPPAGES is not enforced: the kernel has no swap accounting (boot with swapaccount=1)"))
                }
            } else if v == .v2 {
                add("SWAPPAGES", "memory.swap.max", limit(swap.limit), reset: "max")
            } else if let ram, !ram.isLimitUnlimited {
                // v1 limits memory+swap together; it must never be below
                // the memory limit (ContainerCgroup.apply orders the writes).
                let (sum, overflow) = ram.limit.addingReportingOverflow(swap.limit)
                let total = swap.isLimitUnlimited || overflow ? ScaledNumber.unlimited : min(ScaledNumber.unlimited, sum)
                add("SWAPPAGES", "memory.memsw.limit_in_bytes", limit(total), reset: "-1")
            } else if !swap.isLimitUnlimited {
                p.warnings.append(LimitWarning(["PHYSPAGES", "SWAPPAGES"], "SWAPPAGES is not enforced without a PHYSPAGES limit on cgroup v1 (memsw counts RAM and swap together)"))
            }
        }
        if let vmguar {
            // The guarantee is the barrier (vzctl 4.x: VMGUARPAGES="B:unlimited").
            if v == .v1 {
                add("VMGUARPAGES", "memory.soft_limit_in_bytes", limit(vmguar.barrier), reset: "-1")
            } else {
                add("VMGUARPAGES", "memory.low", vmguar.isBarrierUnlimited ? "max" : String(bytes(vmguar.barrier)), reset: "0")
            }
        }
        if let oomguar {
            if v == .v2 {
                add("OOMGUARPAGES", "memory.min", oomguar.isBarrierUnlimited ? "max" : String(bytes(oomguar.barrier)), reset: "0")
            } else if oomguar.barrier != 0 {
                p.warnings.append(LimitWarning(["OOMGUARPAGES"], "OOMGUARPAGES is not enforced on cgroup v1 (no memory.min)"))
            }
        }
    }

    // MARK: - Processes

    private static func pids(_ c: ContainerConfig, _ h: LimitHost, _ p: inout LimitPlan) {
        guard let n = c.resource(.numproc), !n.isLimitUnlimited else { return }
        guard h.pids != nil else {
            p.warnings.append(LimitWarning(["NUMPROC"], "NUMPROC is not enforced: the pids controller is not available"))
            return
        }
        // pids.max counts threads too, as NUMPROC did.
        p.cgroup.append(CgroupWrite("NUMPROC", "pids", "pids.max", String(n.limit), reset: "max"))
    }

    /// NUMFILE, LOCKEDPAGES, NUMSIGINFO: barrier = soft, limit = hard.
    private static func processLimits(_ c: ContainerConfig, _ h: LimitHost, _ p: inout LimitPlan) {
        if let v = c.resource(.numfile) {
            // RLIMIT_NOFILE above fs.nr_open is refused (EPERM): that is "unlimited" here.
            let hard = min(v.limit, h.nrOpen)
            p.rlimits.append(ProcessLimit("NUMFILE", .nofile, soft: min(v.barrier, hard), hard: hard))
        }
        if let v = c.resource(.lockedpages) {
            func b(_ x: UInt64) -> UInt64 { x == ScaledNumber.unlimited ? ProcessLimit.infinity : bytes(x) }
            p.rlimits.append(ProcessLimit("LOCKEDPAGES", .memlock, soft: b(min(v.barrier, v.limit)), hard: b(v.limit)))
        }
        if let v = c.resource(.numsiginfo) {
            func n(_ x: UInt64) -> UInt64 { x == ScaledNumber.unlimited ? ProcessLimit.infinity : x }
            p.rlimits.append(ProcessLimit("NUMSIGINFO", .sigpending, soft: n(min(v.barrier, v.limit)), hard: n(v.limit)))
        }
    }

    /// NUMPTY → devpts `max`, SHMPAGES → shmall (pages) and shmmax (bytes).
    private static func namespaces(_ c: ContainerConfig, _ p: inout LimitPlan) {
        if let v = c.resource(.numpty), v.limit < LimitPlan.devptsDefaultMax {
            p.ptyMax = v.limit
        }
        if let v = c.resource(.shmpages), !v.isLimitUnlimited {
            p.shm = ShmLimit(shmall: v.limit, shmmax: bytes(v.limit))
        }
    }

    // MARK: - CPU

    private static func cpu(_ c: ContainerConfig, _ h: LimitHost, _ p: inout LimitPlan) {
        let units = c.cpuunits ?? c.cpuweight
        var quota: UInt64?
        if let l = c.cpulimit, l > 0 { quota = l * period / 100 }
        if let n = c.cpus, n > 0 { quota = min(quota ?? .max, n * period) }
        if let v = h.cpu {
            if let units {
                if v == .v1 {
                    // cpu.shares: 1024 is the kernel's default weight, 1000 units OpenVZ's.
                    let shares = max(2, min(262_144, units * 1024 / 1000))
                    if shares != 1024 { p.cgroup.append(CgroupWrite(keyOf(c), "cpu", "cpu.shares", String(shares), reset: "1024")) }
                } else {
                    let weight = max(1, min(10_000, units / 10))
                    if weight != 100 { p.cgroup.append(CgroupWrite(keyOf(c), "cpu", "cpu.weight", String(weight), reset: "100")) }
                }
            }
            if let quota {
                // Kernel minimum quota is 1 ms.
                let q = max(1_000, quota)
                let key = (c.cpulimit ?? 0) > 0 ? "CPULIMIT" : "CPUS"
                if v == .v1 {
                    p.cgroup.append(CgroupWrite(key, "cpu", "cpu.cfs_period_us", String(period), reset: String(period)))
                    p.cgroup.append(CgroupWrite(key, "cpu", "cpu.cfs_quota_us", String(q), reset: "-1"))
                } else {
                    p.cgroup.append(CgroupWrite(key, "cpu", "cpu.max", "\(q) \(period)", reset: "max \(period)"))
                }
            }
        } else if (units != nil && units != 1000) || quota != nil {
            p.warnings.append(LimitWarning(["CPUUNITS", "CPULIMIT", "CPUS"],
                                           "CPUUNITS, CPULIMIT and CPUS are not enforced: the cpu controller is not available"))
        }

        let masks: [(String, CPUMask?, String, String?)] = [
            ("CPUMASK", c.cpumask, "cpuset.cpus", h.parentCpus), ("NODEMASK", c.nodemask, "cpuset.mems", h.parentMems),
        ]
        for (key, mask, file, parent) in masks {
            guard let mask, mask != .auto else { continue }
            guard let v = h.cpuset else {
                if mask != .all { p.warnings.append(LimitWarning([key], "\(key) is not enforced: the cpuset controller is not available")) }
                continue
            }
            // v2: empty = the parent's; v1 needs the list itself.
            let all = v == .v2 ? "" : (parent ?? "")
            let value = mask == .all ? all : mask.description
            if value != all { p.cgroup.append(CgroupWrite(key, "cpuset", file, value, reset: all)) }
        }
    }

    private static func keyOf(_ c: ContainerConfig) -> String { c.cpuunits != nil ? "CPUUNITS" : "CPUUWEIGHT" }

    // MARK: - I/O

    /// Default weight and range of each proportional-weight file.
    static func weightScale(_ file: String) -> (default: UInt64, range: ClosedRange<UInt64>, prefix: String)? {
        switch file {
        case "blkio.weight": return (500, 10...1000, "")
        case "blkio.bfq.weight": return (100, 1...1000, "")
        case "io.weight": return (100, 1...10_000, "default ")
        case "io.bfq.weight": return (100, 1...1000, "default ")
        default: return nil
        }
    }

    private static func io(_ c: ContainerConfig, _ h: LimitHost, _ p: inout LimitPlan) {
        let controller = h.io == .v1 ? "blkio" : "io"
        // IOPRIO 0..7, 4 the default: each step doubles or halves the weight.
        if let prio = c.ioprio, prio != 4 {
            if h.io != nil, let file = h.ioWeightFile, let s = weightScale(file) {
                let w = prio >= 4 ? s.default << (prio - 4) : s.default >> (4 - prio)
                let clamped = min(max(w, s.range.lowerBound), s.range.upperBound)
                p.cgroup.append(CgroupWrite("IOPRIO", controller, file, s.prefix + String(clamped), reset: s.prefix + String(s.default)))
            } else {
                p.warnings.append(LimitWarning(["IOPRIO"], "IOPRIO is not enforced: this kernel has no proportional I/O weight"
                    + " (no blkio.weight, blkio.bfq.weight, io.weight or io.bfq.weight)"))
            }
        }
        let bps = c.iolimit ?? 0, iops = c.iopslimit ?? 0
        guard bps > 0 || iops > 0 else { return }
        guard let v = h.io, let dev = h.blockDevice else {
            p.warnings.append(LimitWarning(["IOLIMIT", "IOPSLIMIT"], h.io == nil
                ? "IOLIMIT and IOPSLIMIT are not enforced: the blkio/io controller is not available"
                : "IOLIMIT and IOPSLIMIT are not enforced: VE_PRIVATE is not on a block device (tmpfs, btrfs, overlay, ...)"))
            return
        }
        if v == .v1 {
            let pairs: [(String, UInt64, String)] = [
                ("IOLIMIT", bps, "read_bps_device"), ("IOLIMIT", bps, "write_bps_device"),
                ("IOPSLIMIT", iops, "read_iops_device"), ("IOPSLIMIT", iops, "write_iops_device"),
            ]
            for (key, n, f) in pairs where n > 0 {
                p.cgroup.append(CgroupWrite(key, "blkio", "blkio.throttle." + f, "\(dev) \(n)", reset: "\(dev) 0"))
            }
        } else {
            func f(_ n: UInt64) -> String { n > 0 ? String(n) : "max" }
            p.cgroup.append(CgroupWrite(bps > 0 ? "IOLIMIT" : "IOPSLIMIT", "io", "io.max",
                                        "\(dev) rbps=\(f(bps)) wbps=\(f(bps)) riops=\(f(iops)) wiops=\(f(iops))",
                                        reset: "\(dev) rbps=max wbps=max riops=max wiops=max"))
        }
    }

    // MARK: - Everything this mapping may write

    /// Every cgroup file the mapping manages on `host`, at its default:
    /// `--reset_ub` writes these for what the saved config leaves unset, so
    /// a limit set live without `--save` goes away.
    public static func defaults(host: LimitHost) -> [CgroupWrite] {
        // A config that sets every mapped key away from its default.
        let text = ["PHYSPAGES=0:1", "SWAPPAGES=0:1", "VMGUARPAGES=1", "OOMGUARPAGES=1", "NUMPROC=1", "CPUUNITS=2000",
                    "CPULIMIT=1", "CPUMASK=0", "NODEMASK=0", "IOPRIO=7", "IOLIMIT=1", "IOPSLIMIT=1"].joined(separator: "\n")
        let config = ContainerConfig(ctid: ContainerID(value: 1)!, global: ConfigFile(), container: ConfigFile(text: text))
        // A sentinel parent list, so the mask writes are never left out
        // as "already the default"; the real default is put back below.
        var h = host
        h.parentCpus = "-"
        h.parentMems = "-"
        var out: [CgroupWrite] = []
        for w in ((try? plan(config, host: h)) ?? LimitPlan()).cgroup where !out.contains(where: { $0.target == w.target }) {
            var r = w
            if host.cpuset == .v1 && w.controller == "cpuset" {
                // Without the parent's list there is no v1 default to write.
                guard let parent = w.file == "cpuset.cpus" ? host.parentCpus : host.parentMems else { continue }
                r.reset = parent
            }
            r.value = r.reset
            out.append(r)
        }
        return out
    }
}
