import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// A cgroup2 hierarchy faked with plain files in a temp dir, with just
/// enough kernel behaviour: a new directory gets the interface files, its
/// `cgroup.controllers` being what the parent enabled.
final class FakeV2Tree {
    let dir: TempDir
    let root: String
    let layout: CgroupLayout

    init(offering controllers: String = "cpuset cpu io memory hugetlb pids rdma misc",
         enabled: String = "", kill: Bool = true) throws {
        dir = try TempDir("fakev2")
        root = dir.path + "/sys/fs/cgroup"
        try Files.makeDirectories(root)
        try writeFile(root + "/cgroup.controllers", controllers + "\n")
        try writeFile(root + "/cgroup.subtree_control", enabled)
        try writeFile(root + "/cgroup.procs", "")
        layout = try #require(CgroupLayout.parse(
            mountinfo: "25 23 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
            root: dir.path, cgroupNamespaces: true))
        self.kill = kill
    }

    let kill: Bool

    /// The kernel's part of mkdir in cgroupfs.
    var hooks: CgroupV2.FakeTreeHooks {
        let kill = self.kill
        return CgroupV2.FakeTreeHooks { path in
            let parent = Files.dirname(path)
            let enabled = (readFile(parent + "/cgroup.subtree_control") ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" }).map { $0.hasPrefix("+") ? String($0.dropFirst()) : String($0) }
            var files = [
                "cgroup.controllers": enabled.joined(separator: " ") + "\n",
                "cgroup.subtree_control": "", "cgroup.procs": "", "cgroup.type": "domain\n",
                "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.freeze": "0\n",
            ]
            if kill { files["cgroup.kill"] = "" }
            // The interface files of each controller the parent gave,
            // as a new cgroup shows them (those the limits write).
            for c in enabled {
                for (name, text) in FakeV2Tree.interfaceFiles[c] ?? [:] { files[name] = text }
            }
            for (name, text) in files { try? writeFile(path + "/" + name, text) }
        }
    }

    static let interfaceFiles: [String: [String: String]] = [
        "memory": ["memory.max": "max\n", "memory.swap.max": "max\n", "memory.low": "0\n", "memory.min": "0\n",
                   "memory.high": "max\n", "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"],
        "pids": ["pids.max": "max\n", "pids.current": "0\n", "pids.events": "max 0\n"],
        "cpu": ["cpu.weight": "100\n", "cpu.max": "max 100000\n"],
        "cpuset": ["cpuset.cpus": "\n", "cpuset.mems": "\n", "cpuset.cpus.effective": "0-3\n"],
        "io": ["io.max": "", "io.weight": "default 100\n"],
    ]

    func backend(_ rel: String = "vz/101", wanted: [String] = CgroupV2.defaultControllers) -> CgroupV2 {
        CgroupV2(mountPoint: root, relativePath: rel, wantedControllers: wanted, fakeTree: hooks)
    }

    func container(_ rel: String = "vz/101") -> ContainerCgroup {
        ContainerCgroup(ctid: ContainerID("101")!, layout: layout, relativePath: rel, backends: [backend(rel)])
    }

    func file(_ rel: String) -> String? { readFile(root + "/" + rel) }
    func set(_ rel: String, _ text: String) throws { try writeFile(root + "/" + rel, text) }
    func close() { dir.close() }
}

@Suite struct FakeV2Tests {
    @Test func createEnablesControllersInEveryAncestorNeverInTheLeaf() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        try t.backend().create()
        // What the hierarchy offers and the VPS needs, one write per ancestor.
        #expect(t.file("cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(t.file("vz/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(t.file("vz/101/cgroup.subtree_control") == "")
        #expect(t.file("vz/101/cgroup.controllers") == "cpuset cpu io memory pids\n")
        #expect(t.backend().controllers == ["cpuset", "cpu", "io", "memory", "pids"])
        // Nothing else was written: no process anywhere, nothing frozen or killed.
        for rel in ["cgroup.procs", "vz/cgroup.procs", "vz/101/cgroup.procs", "vz/101/cgroup.kill"] {
            #expect(t.file(rel) == "", "\(rel)")
        }
        #expect(t.file("vz/101/cgroup.freeze") == "0\n")
    }

    @Test func createIsIdempotentAndOnlyAddsWhatIsMissing() throws {
        // The root already has cpu and memory on, shown as the kernel shows them.
        let t = try FakeV2Tree(enabled: "cpu memory\n")
        defer { t.close() }
        try t.backend().create()
        #expect(t.file("cgroup.subtree_control") == "+cpuset +io +pids")
        // As the kernel would show it afterwards:
        try t.set("cgroup.subtree_control", "cpuset cpu io memory pids\n")
        try t.set("vz/cgroup.subtree_control", "cpuset cpu io memory pids\n")
        try t.backend().create()
        #expect(t.file("cgroup.subtree_control") == "cpuset cpu io memory pids\n")
        #expect(t.file("vz/cgroup.subtree_control") == "cpuset cpu io memory pids\n")
        // A second VPS under the same parent touches no ancestor either.
        try t.backend("vz/102").create()
        #expect(t.file("vz/cgroup.subtree_control") == "cpuset cpu io memory pids\n")
        #expect(Files.isDirectory(t.root + "/vz/102"))
    }

    @Test func onlyOfferedControllersAreEnabled() throws {
        // A hybrid host's unified root offers only hugetlb: nothing to enable.
        let hybrid = try FakeV2Tree(offering: "hugetlb")
        defer { hybrid.close() }
        try hybrid.backend().create()
        #expect(hybrid.file("cgroup.subtree_control") == "")
        #expect(hybrid.file("vz/cgroup.subtree_control") == "")
        // A root without cpuset and io.
        let partial = try FakeV2Tree(offering: "cpu memory pids")
        defer { partial.close() }
        try partial.backend().create()
        #expect(partial.file("cgroup.subtree_control") == "+cpu +memory +pids")
    }

    @Test func refusedControllerIsNamed() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        // `vz/` exists and refuses every write to its subtree_control, as
        // the kernel does (EBUSY) when someone put a process into `vz/`.
        // A read-only proc file stands in for that: readable, never writable.
        try Files.makeDirectories(t.root + "/vz")
        try t.set("vz/cgroup.controllers", "cpuset cpu io memory pids\n")
        #expect(symlink("/proc/version", t.root + "/vz/cgroup.subtree_control") == 0)
        let e = #expect(throws: VZError.self) { try t.backend("vz/102").create() }
        #expect(e?.message.contains("cannot enable the cpuset controller") == true)
        #expect(!Files.isDirectory(t.root + "/vz/102"))
    }

    @Test func attachWritesTheLeafOnly() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = t.container()
        try c.create()
        try c.attach(4242)
        #expect(t.file("vz/101/cgroup.procs") == "4242")
        #expect(t.file("vz/cgroup.procs") == "")
        #expect(t.file("cgroup.procs") == "")
        // procs and populated read the subtree.
        try t.set("vz/101/cgroup.procs", "4242\n4243\n")
        try Files.makeDirectories(t.root + "/vz/101/init.scope")
        try t.set("vz/101/init.scope/cgroup.procs", "4300\n")
        #expect(try c.procs() == [4242, 4243, 4300])
        #expect(try !c.isPopulated())
        try t.set("vz/101/cgroup.events", "populated 1\nfrozen 0\n")
        #expect(try c.isPopulated())
        // A pure v2 host: no v1 tasks file, the leaf's directory for clone3.
        let join = try c.openJoinFiles()
        #expect(join.v1Tasks.isEmpty && join.unified != nil)
    }

    @Test func freezeWaitsForTheKernelsFrozen() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = t.container()
        try c.create()
        // The kernel reports frozen: freeze returns.
        try t.set("vz/101/cgroup.events", "populated 1\nfrozen 1\n")
        try c.freeze(timeout: .milliseconds(200))
        #expect(t.file("vz/101/cgroup.freeze") == "1")
        try t.set("vz/101/cgroup.events", "populated 1\nfrozen 0\n")
        try c.thaw(timeout: .milliseconds(200))
        #expect(t.file("vz/101/cgroup.freeze") == "0")
        // Never reported frozen: an error, and the freeze is undone.
        let e = #expect(throws: VZError.self) { try c.freeze(timeout: .milliseconds(100)) }
        #expect(e?.message.contains("did not become frozen") == true)
        #expect(t.file("vz/101/cgroup.freeze") == "0")
    }

    @Test func killAllUsesCgroupKill() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = t.container()
        try c.create()
        try c.killAll(timeout: .seconds(1))
        #expect(t.file("vz/101/cgroup.kill") == "1")
        // Nothing was frozen for it.
        #expect(t.file("vz/101/cgroup.freeze") == "0\n")
    }

    @Test func killAllWithoutCgroupKillFreezesAndThaws() throws {
        let t = try FakeV2Tree(kill: false)
        defer { t.close() }
        let c = t.container()
        try c.create()
        try t.set("vz/101/cgroup.events", "populated 0\nfrozen 1\n")
        try c.killAll(timeout: .seconds(1))
        #expect(!Files.exists(t.root + "/vz/101/cgroup.kill"))
        // Frozen, then thawed (the fake reports frozen 1 throughout, so the
        // thaw times out quietly and the write is what is left).
        #expect(t.file("vz/101/cgroup.freeze") == "0")
    }

    @Test func killAllReportsSurvivors() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = t.container()
        try c.create()
        // populated stays 1 in a fake tree whatever is killed.
        try t.set("vz/101/cgroup.events", "populated 1\nfrozen 0\n")
        let e = #expect(throws: VZError.self) { try c.killAll(timeout: .milliseconds(300)) }
        #expect(e?.code == .stop)
    }

    @Test func removeIsLeafFirstAndKeepsTheParent() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = t.container()
        try c.create()
        try Files.makeDirectories(t.root + "/vz/101/init.scope/sub")
        try c.remove()
        #expect(!Files.exists(t.root + "/vz/101"))
        #expect(Files.isDirectory(t.root + "/vz"))
        // Already gone: success.
        try c.remove()
    }

    /// The unified leaf is always joined through clone3's directory fd
    /// (pure v2 and hybrid alike); each v1 hierarchy through its `tasks`.
    @Test func joinFilesAreTheUnifiedLeafAndV1Tasks() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = ContainerCgroup(layout: t.layout, sysroot: Sysroot(nil), ctid: ContainerID("101")!)
        #expect(c.relativePath == "vz/101")
        try Files.makeDirectories(t.root + "/vz/101")
        let pure = try c.openJoinFiles()
        let fd = try #require(pure.unified)
        #expect((try fd.stat().st_mode & S_IFMT) == S_IFDIR)
        #expect(pure.v1Tasks.isEmpty)
        let hybrid = CgroupLayout(v1: [.init(mountPoint: t.root + "/pids", controllers: ["pids"])],
                                  unified: t.layout.unified, cgroupNamespaces: true)
        try Files.makeDirectories(t.root + "/pids/vz/101")
        try t.set("pids/vz/101/tasks", "")
        let both = try ContainerCgroup(layout: hybrid, sysroot: Sysroot(nil), ctid: ContainerID("101")!).openJoinFiles()
        #expect(both.unified != nil && both.v1Tasks.count == 1)
        let n = "0".withCString { Glibc.write(both.v1Tasks[0].raw, $0, 1) }
        #expect(n == 1 && t.file("pids/vz/101/tasks") == "0")
    }

    @Test func facadeRoutesControllersAndDevices() throws {
        let t = try FakeV2Tree()
        defer { t.close() }
        let c = ContainerCgroup(layout: t.layout, sysroot: Sysroot(nil), ctid: ContainerID("101")!)
        #expect(c.backends.count == 1 && c.backends[0].version == .v2)
        #expect(c.backend(for: "memory")?.path == t.root + "/vz/101")
        #expect(c.backend(for: "devices") == nil)
        #expect(c.backend(for: "net_cls") == nil)
        try Files.makeDirectories(t.root + "/vz/101")
        try writeFile(t.root + "/vz/101/pids.max", "max\n")
        try c.write(controller: "pids", file: "pids.max", value: "50")
        #expect(t.file("vz/101/pids.max") == "50")
        #expect(throws: VZError.self) { try c.write(controller: "blkio", file: "blkio.weight", value: "100") }
        // Devices on pure v2 go to a BPF program on the leaf; a plain
        // directory cannot take one, and that is an error, not a skip.
        let e = #expect(throws: VZError.self) { try c.setDevices(DeviceAllowlist.defaults) }
        #expect(e?.code == .setDevices)
    }
}
