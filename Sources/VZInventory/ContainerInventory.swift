import Glibc
import VZConfig
import VZListing
import VZSystem

/// The containers of a node, as vzlist sees them: every `CTID.conf` in
/// `etc/vz/conf` with what the filesystem says about it (private area
/// present, VE_ROOT mounted, suspend dump present, layout). vz.conf and the
/// mount table are read once per inventory, not once per container.
public struct ContainerInventory: ListSource {
    public let sysroot: Sysroot
    /// The global vz.conf (empty when missing: vzlist 4.x complained and
    /// listed anyway).
    public let global: ConfigFile

    public init(sysroot: Sysroot) {
        self.sysroot = sysroot
        // Unreadable reads as missing: 4.x listed anyway.
        global = (try? Files.read(sysroot.globalConfig)).map { ConfigFile(bytes: $0) } ?? ConfigFile()
    }

    public init(sysroot: Sysroot, global: ConfigFile) {
        self.sysroot = sysroot
        self.global = global
    }

    public var hostCPUCount: Int { max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1) }

    // MARK: - ListSource

    public func records(
        includeConfigured: Bool, only: Set<ContainerID>?, details: ListDetails = .all
    ) throws(VZError) -> [ListRecord] {
        var ids: [ContainerID]
        if includeConfigured {
            if let only {
                ids = only.sorted().filter { Files.exists(configPath($0)) }
            } else {
                ids = configuredIDs()
            }
        } else {
            ids = []
        }
        // Running containers are listed even without -a (and need no
        // config to be found by the kernel).
        let inits = runningInits()
        if !inits.isEmpty {
            var seen = Set(ids)
            for id in inits.keys.sorted() where only?.contains(id) ?? true && seen.insert(id).inserted { ids.append(id) }
            ids.sort()
        }
        // The kernel's beancounter numbers, when a column needs them.
        let live = Live(inits: inits, accounting: details.beancounters.isEmpty || inits.isEmpty
                        ? nil : ContainerAccounting(sysroot: sysroot))
        // Reading 1,000 configs is mostly syscalls: split it over two cores.
        if ids.count >= 256 {
            let mid = ids.count / 2
            let (a, b) = InventoryParallel.pair({ records(ids[..<mid], details, live) }, { [self] in records(ids[mid...], details, live) })
            return a + b
        }
        return records(ids[...], details, live)
    }

    /// What the kernel said about running containers, once per listing.
    struct Live: Sendable {
        var inits: [ContainerID: ProcessIdentity]
        var accounting: ContainerAccounting?
    }

    private func records(_ ids: ArraySlice<ContainerID>, _ details: ListDetails, _ live: Live) -> [ListRecord] {
        var scan = Scan(details: details, inventory: self)
        scan.running = Set(live.inits.keys)
        scan.live = live
        // A directory read beats a stat per container only for many of them.
        scan.bulk = ids.count > 32
        var out: [ListRecord] = []
        out.reserveCapacity(ids.count)
        for id in ids {
            if let r = record(id, scan: &scan) { out.append(r) }
        }
        return out
    }

    /// Node-wide facts read once per listing: the mount table and the names
    /// in DUMPDIR (one readdir instead of a stat per container).
    public struct Scan {
        public let details: ListDetails
        public var mounts: InventoryMountTable
        public let dumps: Set<String>
        /// The config directory held open: `openat(dir, "101.conf")` walks
        /// one path component instead of the whole sysroot path.
        let confDir: InventoryDirectory
        /// Open parents of private areas (usually one, /vz/private).
        var parents: [String: InventoryDirectory] = [:]
        var buffer = InventoryReadBuffer()
        let keys: ListConfigReader.KeyFilter
        /// Check private areas by reading their parent directory once.
        public var bulk = false
        /// The running containers, verified once per listing
        /// (`runningContainers()`); nil: ask the kernel per container.
        public var running: Set<ContainerID>? = nil
        /// Their inits and the beancounter reader, when the listing needs them.
        var live = Live(inits: [:], accounting: nil)

        public init(details: ListDetails, inventory: ContainerInventory) {
            self.details = details
            keys = details.configKeys.map(ListConfigReader.KeyFilter.init) ?? .listed
            confDir = InventoryDirectory(inventory.sysroot.confDir)
            if details.status {
                mounts = InventoryMountTable.current()
                let dumpDir = inventory.global.value("DUMPDIR") ?? "/vz/dump"
                dumps = Set(Files.list(inventory.sysroot.host(dumpDir)).filter { $0.hasPrefix("Dump.") })
            } else {
                mounts = InventoryMountTable(mountPoints: [])
                dumps = []
            }
        }

        /// `etc/vz/names`, opened on first use.
        var namesDir: InventoryDirectory?

        /// stat(2) following symlinks of `path + suffix`, relative to an
        /// open parent directory of `path`.
        mutating func exists(_ path: String, suffix: String = "") -> Bool {
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return statFollowing(path + suffix) != nil }
            let parent = String(path[..<slash])
            let dir: InventoryDirectory
            if let d = parents[parent] {
                dir = d
            } else {
                dir = InventoryDirectory(parent)
                parents[parent] = dir
            }
            let name = String(path[path.index(after: slash)...])
            return suffix.isEmpty && bulk ? dir.contains(name) : dir.exists(name + suffix)
        }
    }

    /// A name given on the command line: the `etc/vz/names/NAME` link first
    /// (4.x's `get_veid_by_name`), then NAME in the configs, for nodes
    /// whose registry was not kept.
    public func containerID(named name: String) -> ContainerID? {
        if let id = registeredOwner(of: name) { return id }
        guard !name.isEmpty else { return nil }
        for id in configuredIDs() {
            guard let bytes = try? Files.read(configPath(id)) else { continue }
            if ListConfigReader.values(bytes, keys: ["NAME"])["NAME"] == name { return id }
        }
        return nil
    }

    // MARK: - Inventory

    /// CTIDs with a `CTID.conf`: canonical decimal names only, so samples,
    /// `.destroyed` configs, temp files and `0101.conf` are not containers.
    public func configuredIDs() -> [ContainerID] {
        var ids: [ContainerID] = []
        for name in Files.list(sysroot.confDir) where name.hasSuffix(".conf") {
            if let id = ContainerID(String(name.dropLast(5))) { ids.append(id) }
        }
        ids.sort()
        return ids
    }

    public func configPath(_ id: ContainerID) -> String { "\(sysroot.confDir)/\(id).conf" }

    /// One container's record, nil when its config vanished meanwhile.
    public func record(_ id: ContainerID, scan: inout Scan) -> ListRecord? {
        var config: ListConfig
        if scan.buffer.read(at: scan.confDir, "\(id).conf") {
            config = scan.buffer.withBytes { ListConfigReader.table($0, keys: scan.keys) }
        } else if !Files.exists(configPath(id)) {
            return isRunning(id, scan)
                ? ListRecord(ctid: id, config: [:], status: .running, privateExists: false, runtime: runtime(id, scan)) : nil
        } else {
            // Unreadable: 4.x listed it with nothing but the defaults.
            config = ListConfig()
        }
        let ownLayout = config["VE_LAYOUT"]
        addDefaults(id, to: &config)
        let privateHost = config["VE_PRIVATE"].map(sysroot.host)
        let privateExists = privateHost.map { scan.exists($0) } ?? false

        var status = ListStatus.stopped
        if isRunning(id, scan) {
            status = .running
        } else if privateExists && scan.details.status {
            // A suspend dump makes it "suspended", a mounted VE_ROOT "mounted" (which wins).
            if scan.dumps.contains("Dump.\(id)") { status = .suspended }
            if let root = config["VE_ROOT"], scan.mounts.isMountPoint(sysroot.host(root)) { status = .mounted }
        }

        var layout = PrivateLayout.simfs
        if scan.details.layout {
            if let p = privateHost, privateExists, scan.exists(p, suffix: "/root.hdd/DiskDescriptor.xml") {
                layout = .ploop
            } else if ownLayout?.hasPrefix("ploop") == true {
                layout = .ploop
            }
        }

        var nameRegistered = true
        if scan.details.names, let name = config["NAME"] {
            if scan.namesDir == nil { scan.namesDir = InventoryDirectory(sysroot.namesDir) }
            // A link to another existing container means NAME is stale here.
            if let target = nameLinkTarget(name, in: scan.namesDir) {
                nameRegistered = target == id || !Files.exists(configPath(target))
            }
        }

        return ListRecord(
            ctid: id, values: config, status: status, layout: layout,
            privateExists: privateExists, nameRegistered: nameRegistered,
            runtime: status == .running ? runtime(id, scan) : nil)
    }

    /// A running container's kernel readings, nil when none were asked for.
    private func runtime(_ id: ContainerID, _ scan: Scan) -> RuntimeReadings? {
        guard let accounting = scan.live.accounting else { return nil }
        var r = RuntimeReadings()
        for (bc, reading) in accounting.readings(id, initProcess: scan.live.inits[id], query: scan.details.beancounters) {
            if let listed = ListedBeancounter(bc) { r.beancounters[listed] = reading }
        }
        return r
    }

    /// Completes CTID.conf's values into what vzlist 4.x displayed. It never
    /// merged vz.conf into a container's listing, except VE_ROOT and
    /// VE_PRIVATE, which default to vz.conf's. `$VEID` is substituted and
    /// trailing slashes dropped, as vzctl's `subst_VEID` does.
    public func addDefaults(_ id: ContainerID, to d: inout ListConfig) {
        for key in ["VE_ROOT", "VE_PRIVATE"] {
            guard let v = d[key] ?? global.value(key) else { continue }
            d[key] = ListConfigReader.substituteVEID(v, id)
        }
    }

    /// The CTID `etc/vz/names/NAME` links to, when the link exists and
    /// names a config file that exists.
    public func registeredOwner(of name: String) -> ContainerID? {
        guard let id = nameLinkTarget(name), Files.exists(configPath(id)) else { return nil }
        return id
    }

    /// The CTID in the `etc/vz/names/NAME` link's `CTID.conf` target. The
    /// target may be absolute (vzctl 4.x wrote /etc/vz/conf/101.conf), so
    /// only its file name is used: following it would leave VZ_SYSROOT.
    private func nameLinkTarget(_ name: String, in dir: InventoryDirectory? = nil) -> ContainerID? {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { raw in
            let dst = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            if let dir, dir.fd >= 0 { return readlinkat(dir.fd, name, dst, raw.count - 1) }
            return readlink("\(sysroot.namesDir)/\(name)", dst, raw.count - 1)
        }
        guard n > 0 else { return nil }
        var start = n
        while start > 0, buf[start - 1] != UInt8(ascii: "/") { start -= 1 }
        let file = buf[start..<n]
        guard file.count > 5, file.suffix(5).elementsEqual(".conf".utf8) else { return nil }
        return ContainerID(String(decoding: file.dropLast(5), as: UTF8.self))
    }

    // MARK: - Running containers

    /// Containers running on this node: those with a state file whose init
    /// the kernel confirms (RunState.liveInit: pid, start time, boot, cgroup).
    public func runningContainers() -> [ContainerID] {
        runningInits().keys.sorted()
    }

    /// The running containers' verified inits.
    public func runningInits() -> [ContainerID: ProcessIdentity] {
        var out: [ContainerID: ProcessIdentity] = [:]
        for id in RunState.claimed(sysroot) {
            if let p = RunState.runningInit(id, sysroot: sysroot) { out[id] = p }
        }
        return out
    }

    /// `.running` for a live container, nil when it is not running, in which
    /// case the mount and dump checks decide.
    private func isRunning(_ id: ContainerID, _ scan: Scan) -> Bool {
        scan.running.map { $0.contains(id) } ?? (runningState(id) != nil)
    }

    public func runningState(_ id: ContainerID) -> ListStatus? {
        RunState.runningInit(id, sysroot: sysroot) == nil ? nil : .running
    }
}
