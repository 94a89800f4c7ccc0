import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// Layout detection from mountinfo fixtures: this machine's hybrid table
/// verbatim, a pure v2 systemd host, and a pure v1 host of the CentOS 7
/// kind (joined `cpu,cpuacct`, `release_agent=` options).
@Suite struct LayoutTests {
    static let hybrid = """
        22 27 0:21 / /proc rw,relatime - proc proc rw
        27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

        """

    static let unified = """
        22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        25 23 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        30 25 0:24 /system.slice/docker.service /run/x rw,relatime shared:4 - cgroup2 cgroup2 rw

        """

    static let legacy = """
        24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
        25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
        27 24 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpuacct,cpu
        28 24 0:24 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,net_prio,net_cls
        29 24 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
        30 24 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,pids
        31 24 0:27 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,freezer
        32 24 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpuset,clone_children
        33 24 0:29 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,devices
        34 24 0:30 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,blkio
        90 60 0:25 /lxc/ct1 /var/lib/lxc/ct1/rootfs/sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        91 24 0:25 / /mnt/memory\\040copy rw,relatime - cgroup cgroup rw,memory
        92 24 0:40 / /run/other rw,relatime - cgroup cgroup rw,name=elogind

        """

    @Test func hybridAsOnThisMachine() throws {
        let t = try TempDir("layout")
        defer { t.close() }
        try Files.makeDirectories(t.path + "/sys/fs/cgroup/unified")
        try writeFile(t.path + "/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n")
        let l = try #require(CgroupLayout.parse(mountinfo: Self.hybrid, root: t.path, cgroupNamespaces: true))
        #expect(l.mode == .hybrid)
        #expect(l.v1.map(\.controllers) == [["cpu"], ["cpuacct"], ["cpuset"], ["memory"], ["devices"], ["freezer"], ["blkio"], ["pids"], []])
        #expect(l.v1.last == CgroupLayout.V1Hierarchy(mountPoint: t.path + "/sys/fs/cgroup/systemd", controllers: [], name: "systemd"))
        #expect(l.v1Hierarchy(for: "pids")?.mountPoint == t.path + "/sys/fs/cgroup/pids")
        #expect(l.unified == CgroupLayout.Unified(mountPoint: t.path + "/sys/fs/cgroup/unified", controllers: ["hugetlb"]))
        #expect(l.cgroupNamespaces)
        #expect(l.hasController("memory") && l.hasController("hugetlb") && !l.hasController("io"))
    }

    @Test func pureV2ReadsControllersOfTheRoot() throws {
        let t = try TempDir("layout")
        defer { t.close() }
        try Files.makeDirectories(t.path + "/sys/fs/cgroup")
        try writeFile(t.path + "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
        let l = try #require(CgroupLayout.parse(mountinfo: Self.unified, root: t.path, cgroupNamespaces: false))
        #expect(l.mode == .unified)
        #expect(l.v1.isEmpty)
        // The subtree bind mount (root != /) is not taken for the hierarchy.
        #expect(l.unified?.mountPoint == t.path + "/sys/fs/cgroup")
        #expect(l.unified?.controllers == ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"])
        #expect(!l.cgroupNamespaces)
    }

    @Test func pureV1WithJoinedControllers() throws {
        let l = try #require(CgroupLayout.parse(mountinfo: Self.legacy, root: "", cgroupNamespaces: true))
        #expect(l.mode == .legacy)
        #expect(l.unified == nil)
        // Plain options (xattr, clone_children, release_agent=) are not
        // controllers; duplicate mounts of memory (an LXC subtree, a second
        // mount with an escaped space) collapse into the first root mount;
        // other named hierarchies (name=elogind) are not ours to join.
        #expect(l.v1.map(\.mountPoint) == [
            "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/net_cls,net_prio",
            "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/cpuset",
            "/sys/fs/cgroup/devices", "/sys/fs/cgroup/blkio",
        ])
        #expect(l.v1[0].name == "systemd" && l.v1[0].controllers.isEmpty)
        #expect(l.v1Hierarchy(for: "cpu")?.controllers == ["cpuacct", "cpu"])
        #expect(l.v1Hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
    }

    @Test func escapedMountPoints() {
        #expect(CgroupLayout.unescape("/mnt/memory\\040copy") == "/mnt/memory copy")
        #expect(CgroupLayout.unescape("/a\\134b") == "/a\\b")
        #expect(CgroupLayout.unescape("/plain") == "/plain")
        #expect(CgroupLayout.unescape("/odd\\04") == "/odd\\04")
    }

    @Test func noCgroupsMountedIsNil() {
        #expect(CgroupLayout.parse(mountinfo: "22 27 0:21 / /proc rw - proc proc rw\n", cgroupNamespaces: true) == nil)
        #expect(CgroupLayout.parse(mountinfo: "", cgroupNamespaces: true) == nil)
        // name=systemd alone carries nothing to run a VPS on.
        let onlyNamed = "25 24 0:21 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
        #expect(CgroupLayout.parse(mountinfo: onlyNamed, cgroupNamespaces: true) == nil)
    }

    @Test(.enabled(if: hostLayout != nil)) func thisMachineIsHybrid() throws {
        let l = try CgroupLayout.detect()
        #expect(l.mode == .hybrid)
        for c in ["memory", "pids", "cpu", "cpuacct", "cpuset", "devices", "freezer", "blkio"] {
            #expect(l.v1Hierarchy(for: c) != nil, "no v1 \(c)")
        }
        #expect(l.unified?.mountPoint == "/sys/fs/cgroup/unified")
        #expect(l.cgroupNamespaces == Files.exists("/proc/self/ns/cgroup"))
    }
}
