import CVZShim
import Glibc
import VZConfig
import VZSystem

extension ContainerCgroup {
    /// Writes a plan's cgroup files (or a live change's) in order, each to
    /// the hierarchy of its controller. The first refusal stops and is
    /// thrown with vzctl's code for the key (1 UBC, 2 CPU, 148 I/O), the
    /// file, the value and the kernel's reason.
    ///
    /// One reordering: on v1 `memory.memsw.limit_in_bytes` (RAM+swap) must
    /// never be below `memory.limit_in_bytes`, or the kernel refuses the
    /// write. Raising, memsw goes first; lowering, the memory limit does
    /// (runc's `setMemoryAndSwap`).
    public func apply(_ writes: [CgroupWrite]) throws(VZError) {
        var ordered = writes
        if let m = ordered.firstIndex(where: { $0.file == "memory.limit_in_bytes" }),
           let s = ordered.firstIndex(where: { $0.file == "memory.memsw.limit_in_bytes" }) {
            let current = try read(controller: "memory", file: "memory.limit_in_bytes")
                .flatMap { UInt64($0.trimmed()) } ?? UInt64.max
            func bytes(_ v: String) -> UInt64 { v == "-1" ? UInt64.max : UInt64(v) ?? UInt64.max }
            let (mem, swap) = (ordered[m], ordered[s])
            let swapFirst = bytes(swap.value) >= current
            let at = min(m, s)
            ordered.removeAll { $0.target == mem.target || $0.target == swap.target }
            ordered.insert(contentsOf: swapFirst ? [swap, mem] : [mem, swap], at: at)
        }
        for w in ordered {
            do {
                // A zero-length write never reaches the kernel's handler: an
                // empty value (v2 cpuset "inherit the parent's") is a newline.
                try write(controller: w.controller, file: w.file, value: w.value.isEmpty ? "\n" : w.value)
            } catch {
                throw VZError(LimitMapping.exitCode(forKey: w.key),
                              "CT \(ctid): Unable to set \(w.key): \(w.file) = \(w.value)", errno: error.errno)
            }
        }
    }
}

extension LimitHost {
    /// Reads the facts `LimitMapping` needs for `cgroup` (created): which
    /// version holds each controller, the optional files the kernel has
    /// (swap accounting, an I/O weight), the v1 cpuset parent's lists, the
    /// block device of `privatePath` and fs.nr_open.
    public static func probe(_ cgroup: ContainerCgroup, privatePath: String?) -> LimitHost {
        var h = LimitHost()
        let memory = cgroup.backend(for: "memory")
        h.memory = memory?.version
        h.pids = cgroup.backend(for: "pids")?.version
        h.cpu = cgroup.backend(for: "cpu")?.version
        let cpuset = cgroup.backend(for: "cpuset")
        h.cpuset = cpuset?.version
        let io = cgroup.backend(for: "blkio") ?? cgroup.backend(for: "io")
        h.io = io?.version
        if let memory {
            h.swapAccounting = Files.exists(memory.path + (memory.version == .v1 ? "/memory.memsw.limit_in_bytes" : "/memory.swap.max"))
        }
        if let io {
            let candidates = io.version == .v1 ? ["blkio.weight", "blkio.bfq.weight"] : ["io.weight", "io.bfq.weight"]
            h.ioWeightFile = candidates.first { Files.exists(io.path + "/" + $0) }
        }
        if let cpuset, cpuset.version == .v1 {
            let parent = Files.dirname(cpuset.path)
            h.parentCpus = (try? CgroupFiles.read(parent + "/cpuset.cpus"))??.trimmed()
            h.parentMems = (try? CgroupFiles.read(parent + "/cpuset.mems"))??.trimmed()
        }
        if let text = (try? Files.readString("/proc/sys/fs/nr_open")) ?? nil, let n = UInt64(text.trimmed()) {
            h.nrOpen = n
        }
        if let privatePath { h.blockDevice = blockDevice(of: privatePath) }
        return h
    }

    /// The whole disk under the file system holding `path`: a partition's
    /// parent (throttling takes disks only), nil for a file system without
    /// a block device (major 0: tmpfs, btrfs subvolumes, overlay).
    static func blockDevice(of path: String) -> BlockDevice? {
        guard let st = statFollowing(path) else { return nil }
        let dev = UInt64(st.st_dev)
        var major = DeviceNumber.major(dev), minor = DeviceNumber.minor(dev)
        guard major != 0 else { return nil }
        let sys = "/sys/dev/block/\(major):\(minor)"
        guard Files.exists(sys) else { return nil }
        if Files.exists(sys + "/partition"),
           let parent = (try? Files.readString(sys + "/../dev")) ?? nil {
            let mm = parent.trimmed().split(separator: ":")
            guard mm.count == 2, let a = UInt32(mm[0]), let b = UInt32(mm[1]) else { return nil }
            major = a
            minor = b
        }
        return BlockDevice(major: major, minor: minor)
    }
}
