import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

@Suite struct NamingTests {
    @Test func realNodeUsesVz() {
        #expect(CgroupNode.relativePath(Sysroot(nil), ContainerID("101")!) == "vz/101")
        #expect(CgroupNode.relativePath(Sysroot("/"), ContainerID("101")!) == "vz/101")
    }

    @Test func sysrootNodesGetAStableHashTag() {
        // FNV-1a 32 reference values: "" → 811c9dc5, "a" → e40c292c.
        #expect(CgroupNode.fnv1a32("") == 0x811c_9dc5)
        #expect(CgroupNode.fnv1a32("a") == 0xe40c_292c)
        #expect(CgroupNode.fnv1a32("foobar") == 0xbf9c_f968)
        let a = CgroupNode.relativePath(Sysroot("/tmp/t1"), ContainerID("101")!)
        let b = CgroupNode.relativePath(Sysroot("/tmp/t2/"), ContainerID("101")!)
        #expect(a == "vz-61e9804b/101")
        #expect(b == "vz-62e981de/101")
        #expect(a != b)
        // A trailing slash names the same node.
        #expect(CgroupNode.relativePath(Sysroot("/tmp/t1/"), ContainerID("101")!) == a)
        // Eight digits even when the hash has leading zeros.
        #expect(CgroupNode.directoryName(Sysroot("/tmp/n112")) == "vz-000f6a0a")
    }

    /// runningContainers on a fake v2 tree: populated ones only, numeric
    /// names only, a cgroup without cgroup.events (mid-removal) skipped.
    @Test func runningContainersOnFakeV2() throws {
        let t = try TempDir("running")
        defer { t.close() }
        let root = t.path + "/sys/fs/cgroup"
        try Files.makeDirectories(root)
        try writeFile(root + "/cgroup.controllers", "memory pids\n")
        let layout = try #require(CgroupLayout.parse(
            mountinfo: "25 23 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", root: t.path, cgroupNamespaces: true))
        let node = CgroupNode(layout: layout, sysroot: Sysroot("/srv/node1"))
        let dir = root + "/" + node.directoryName
        for (name, events) in [("101", "populated 1\nfrozen 0\n"), ("102", "populated 0\nfrozen 0\n"),
                               ("250", "populated 1\nfrozen 1\n"), ("web", "populated 1\n"), ("0101", "populated 1\n")] {
            try Files.makeDirectories(dir + "/" + name)
            try writeFile(dir + "/" + name + "/cgroup.events", events)
        }
        try Files.makeDirectories(dir + "/103")
        #expect(node.runningContainers() == [ContainerID("101")!, ContainerID("250")!])
        // Another node's tag sees none of them.
        #expect(CgroupNode(layout: layout, sysroot: Sysroot("/srv/node2")).runningContainers().isEmpty)
    }
}
