import VZCgroup
import VZConfig
import VZSystem

/// The beancounters of running VPSes as the kernel counts them: the cgroup
/// rows through `BeancounterReader` (v1 or v2, whichever hierarchy carries
/// the controller on this host), numpty from the VPS's devpts instance.
/// vzlist and vzubc both read through here, so they cannot disagree.
public struct ContainerAccounting: Sendable {
    public let layout: CgroupLayout
    public let sysroot: Sysroot
    public let kernel: KernelRelease?

    public init(layout: CgroupLayout, sysroot: Sysroot, kernel: KernelRelease? = ContainerAccounting.runningKernel()) {
        self.layout = layout
        self.sysroot = sysroot
        self.kernel = kernel
    }

    public static func runningKernel() -> KernelRelease? {
        ((try? Files.readString("/proc/sys/kernel/osrelease")) ?? nil).flatMap(KernelRelease.init)
    }

    /// The host's layout read now; nil on a host without cgroups (nothing
    /// can be running there anyway).
    public init?(sysroot: Sysroot) {
        guard let layout = try? CgroupLayout.detect() else { return nil }
        self.init(layout: layout, sysroot: sysroot)
    }

    /// A reading for every row in `query`: the numbers the kernel keeps,
    /// nil where it keeps none (see `BeancounterFiles`). `initProcess` is
    /// the VPS's verified init, needed for numpty only.
    public func readings(_ ctid: ContainerID, initProcess: ProcessIdentity?,
                         query: BeancounterQuery) -> [Beancounter: BeancounterReading] {
        let cgroup = ContainerCgroup(layout: layout, sysroot: sysroot, ctid: ctid)
        var out = BeancounterReader(cgroup: cgroup, kernel: kernel).read(query)
        for bc in query.columns.keys where out[bc] == nil {
            var r = BeancounterReading()
            if bc == .numpty, query[bc].contains(.held), let p = initProcess {
                r.held = ContainerPtys.count(in: p).map(UInt64.init)
            }
            out[bc] = r
        }
        return out
    }
}
