import VZConfig

/// The facts about a host that decide how a limit is written: which cgroup
/// version carries each controller (v1, v2 or none; a hybrid host can mix
/// them), which optional files the kernel has, the block device under
/// VE_PRIVATE. `LimitMapping` is pure over these; `probe` reads them.
public struct LimitHost: Sendable, Equatable {
    public var memory: CgroupVersion?
    public var pids: CgroupVersion?
    public var cpu: CgroupVersion?
    public var cpuset: CgroupVersion?
    /// v1 `blkio`, v2 `io`.
    public var io: CgroupVersion?
    /// v1 `memory.memsw.*` / v2 `memory.swap.max` exist (swap accounting).
    public var swapAccounting: Bool
    /// The proportional I/O weight file this kernel offers, if any:
    /// `blkio.weight`, `blkio.bfq.weight`, `io.weight`, `io.bfq.weight`.
    public var ioWeightFile: String?
    /// The whole disk holding VE_PRIVATE; nil on tmpfs, btrfs, overlay, ...
    public var blockDevice: BlockDevice?
    /// v1 only: the parent cgroup's `cpuset.cpus` / `cpuset.mems`, which a
    /// VPS without CPUMASK/NODEMASK gets (v1 has no "inherit").
    public var parentCpus: String?
    public var parentMems: String?
    /// fs.nr_open: the highest RLIMIT_NOFILE the kernel accepts.
    public var nrOpen: UInt64

    public struct BlockDevice: Sendable, Hashable, CustomStringConvertible {
        public var major: UInt32
        public var minor: UInt32
        public init(major: UInt32, minor: UInt32) {
            self.major = major
            self.minor = minor
        }
        public var description: String { "\(major):\(minor)" }
    }

    public init(memory: CgroupVersion? = nil, pids: CgroupVersion? = nil, cpu: CgroupVersion? = nil,
                cpuset: CgroupVersion? = nil, io: CgroupVersion? = nil, swapAccounting: Bool = false,
                ioWeightFile: String? = nil, blockDevice: BlockDevice? = nil,
                parentCpus: String? = nil, parentMems: String? = nil, nrOpen: UInt64 = 1 << 20) {
        self.memory = memory
        self.pids = pids
        self.cpu = cpu
        self.cpuset = cpuset
        self.io = io
        self.swapAccounting = swapAccounting
        self.ioWeightFile = ioWeightFile
        self.blockDevice = blockDevice
        self.parentCpus = parentCpus
        self.parentMems = parentMems
        self.nrOpen = nrOpen
    }

    /// Every controller on one version, with everything optional present
    /// (what a pure v1 or pure v2 host with swap accounting looks like).
    public static func uniform(_ v: CgroupVersion, blockDevice: BlockDevice? = nil,
                               parentCpus: String? = nil, parentMems: String? = nil) -> LimitHost {
        LimitHost(memory: v, pids: v, cpu: v, cpuset: v, io: v, swapAccounting: true,
                  ioWeightFile: v == .v1 ? "blkio.weight" : "io.weight", blockDevice: blockDevice,
                  parentCpus: v == .v1 ? parentCpus : nil, parentMems: v == .v1 ? parentMems : nil)
    }
}
