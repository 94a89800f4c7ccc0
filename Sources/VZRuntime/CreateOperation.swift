import Glibc
import VZConfig
import VZStorage
import VZSystem

/// What `vzctl create` was asked for.
public struct CreateRequest {
    /// nil: take the lowest free CTID from 101 up (`vzctl create auto`).
    public var ctid: ContainerID?
    public var ostemplate: String?
    /// `--config NAME` → `ve-NAME.conf-sample`.
    public var sample: String?
    /// `--private`, `--root` as typed (may hold `$VEID`).
    public var privatePath: String?
    public var rootPath: String?
    /// `--layout` (only `simfs` exists here); saved as VE_LAYOUT as 4.x did.
    public var layout: String?
    /// Settings given on the command line (`--hostname`, `--ipadd`, ...),
    /// validated by the parameter table and written into the new config.
    public var settings: ParameterChanges
    public var skipLock = false
    /// Show extraction progress (stderr is a terminal and not --quiet).
    public var progress = false
    /// Called once an automatically chosen CTID is locked, before extraction.
    public var onAssigned: ((ContainerID) -> Void)? = nil

    public init(ctid: ContainerID?, settings: ParameterChanges) {
        self.ctid = ctid
        self.settings = settings
    }
}

/// `vzctl create`: OS template tarball → private area + `CTID.conf`.
///
/// Order, chosen so that a kill -9 at any point leaves nothing that looks
/// like a container (security guide §2.3, §3.6):
///
///   1. lock CTID; refuse if its private area exists (44)
///   2. build the new config in memory (sample + options); validate all
///   3. mkdir VE_PRIVATE/../.staging-CTID.X (0700), mark "CTID pending"
///   4. extract the template into it in a separate process (budgets)
///   5. rename staging → VE_PRIVATE               ← still "pending"
///   6. write CTID.conf atomically                ← commit point
///   7. mark VE_PRIVATE "CTID"
///
/// Killed before 6: no config, so `vzlist -a` shows nothing; the leftover
/// staging dir or pending private area is removed by the next create or
/// destroy. Killed between 6 and 7: a complete container whose marker still
/// says pending; everything treats "config exists" as committed.
public struct CreateOperation {
    public let node: Node
    public let console: Console
    /// argv prefix that runs the extraction stage; nil: the `vzextract`
    /// helper installed with vzctl.
    public let extractHelper: [String]?

    public init(node: Node, console: Console, extractHelper: [String]? = nil) {
        self.node = node
        self.console = console
        self.extractHelper = extractHelper
    }

    @discardableResult
    public func run(_ request: CreateRequest) throws(VZError) -> ContainerID {
        let (ctid, lock) = try claim(request)
        if request.ctid == nil { request.onAssigned?(ctid) }
        console.about(ctid)
        CrashPoint.reached("create.locked")
        defer { lock?.release() }
        try create(ctid, request)
        return ctid
    }

    // MARK: - Steps

    /// The CTID to create and its lock. With no CTID requested, candidates
    /// from 101 up are tried: a locked one is skipped, and "free" is decided
    /// only while holding its lock, so two concurrent requests never get the
    /// same ID.
    private func claim(_ request: CreateRequest) throws(VZError) -> (ContainerID, ContainerLock?) {
        if let ctid = request.ctid {
            return (ctid, try node.lock(ctid, skip: request.skipLock))
        }
        let lockDir = try node.lockDir()
        let used = Set(Files.list(node.sysroot.confDir).compactMap { name -> UInt32? in
            guard name.hasSuffix(".conf") else { return nil }
            return ContainerID(String(name.dropLast(5)))?.value
        })
        var candidate: UInt32 = 101
        while candidate <= ContainerID.max {
            defer { candidate += 1 }
            guard !used.contains(candidate), let ctid = ContainerID(value: candidate) else { continue }
            guard let lock = try ContainerLock.tryAcquire(lockDir: lockDir, name: ctid.description) else { continue }
            if Files.exists(node.configPath(ctid)) { continue }
            let effective = EffectiveConfig(ctid: ctid, global: node.global, container: nil)
            if let p = effective["VE_PRIVATE"], Files.exists(node.host(p)),
               PrivateArea.marker(at: node.host(p)) != .pending(ctid.description) {
                continue
            }
            return (ctid, lock)
        }
        throw VZError(.invalidValue, "No free CT ID left")
    }

    private func create(_ ctid: ContainerID, _ request: CreateRequest) throws(VZError) {
        let confPath = node.configPath(ctid)
        let existing = try node.containerConfig(ctid)

        // The new config: sample (or the existing config a script prepared),
        // then the command line. vzctl 4.x: --config replaces an existing
        // config with a warning; without --config an existing one is used.
        var config: ConfigFile
        var sampleName: String? = nil
        if let name = request.sample {
            guard let bytes = try Files.read(node.samplePath(name)) else {
                throw VZError(.copyConfig, "File \(node.samplePath(name)) is not found")
            }
            if existing != nil {
                console.error("Warning: container config file already exists, will be rewritten with \(node.samplePath(name))")
            }
            config = ConfigFile(bytes: bytes)
            sampleName = name
        } else if let existing {
            config = existing
        } else {
            let name = node.global.value("CONFIGFILE") ?? "vswap-256m"
            if let bytes = try Files.read(node.samplePath(name)) {
                config = ConfigFile(bytes: bytes)
                sampleName = name
            } else {
                config = ConfigFile()
            }
        }
        if let sampleName, config.value("ORIGIN_SAMPLE") == nil {
            try config.set("ORIGIN_SAMPLE", sampleName)
        }
        if let p = request.privatePath { try config.set("VE_PRIVATE", p) }
        if let r = request.rootPath { try config.set("VE_ROOT", r) }
        if let l = request.layout { try config.set("VE_LAYOUT", l) }
        _ = try request.settings.apply(to: &config, ctid: ctid)
        for w in request.settings.warnings { console.error("Warning: \(w)") }

        let effective = EffectiveConfig(ctid: ctid, global: node.global, container: config)
        guard node.global.value("TEMPLATE") != "" else { throw VZError(.templateNotSet, "TEMPLATE is not set") }
        guard let privateSpec = effective.raw("VE_PRIVATE"), !privateSpec.isEmpty,
              let privatePath = effective["VE_PRIVATE"] else {
            throw VZError(.vePrivateNotSet, "VE_PRIVATE is not set")
        }
        guard let rootSpec = effective.raw("VE_ROOT"), !rootSpec.isEmpty, let rootPath = effective["VE_ROOT"] else {
            throw VZError(.veRootNotSet, "VE_ROOT is not set")
        }
        // Saved as typed, `$VEID` and all, so a later vz.conf change of the
        // defaults does not move existing containers (vzctl does the same).
        if config.value("VE_PRIVATE") == nil { try config.set("VE_PRIVATE", privateSpec) }
        if config.value("VE_ROOT") == nil { try config.set("VE_ROOT", rootSpec) }

        let hostPrivate = node.host(privatePath)
        let hostRoot = node.host(rootPath)
        try checkPrivateFree(ctid, hostPrivate, configExists: existing != nil, shown: privatePath)
        try checkName(ctid, config)

        guard let ostemplate = request.ostemplate ?? config.value("OSTEMPLATE") ?? node.global.value("DEF_OSTEMPLATE"),
              !ostemplate.isEmpty else {
            throw VZError(.osTemplateNotSet, "OS template is not specified")
        }
        let archive = try TemplateStore.find(ostemplate, in: node.templateCacheDir())
        try config.set("OSTEMPLATE", ostemplate)

        let parent = Files.dirname(hostPrivate)
        try Files.makeDirectories(parent, mode: 0o700)
        PrivateArea.collectGarbage(in: parent, lockDir: try node.lockDir(), holding: ctid, console: console)

        console.info("Creating container private area (\(ostemplate))")
        let staging = "\(parent)/\(PrivateArea.siblingName(prefix: PrivateArea.stagingPrefix(ctid)))"
        _ = try sys("mkdir", path: staging, code: .cannotCreatePrivate) { mkdir(staging, 0o700) }
        do {
            try PrivateArea.markPending(staging, ctid)
            CrashPoint.reached("create.staged")
            let budget = try ExtractBudget.forPrivateArea(at: parent, config: effective)
            var helper = extractHelper ?? []
            if helper.isEmpty { helper = [try HelperBinary.path("vzextract")] }
            _ = try TemplateExtractor.extract(
                archive: archive, into: staging, budget: budget,
                progress: request.progress, helper: helper)
            CrashPoint.reached("create.extracted")
            // vzctl leaves the top of a private area 0755 whatever the tarball says.
            _ = chmod(staging, 0o755)
            try Files.rename(staging, hostPrivate, noReplace: true)
            CrashPoint.reached("create.renamed")
        } catch {
            try? SafeRemove.removeTree(at: staging)
            console.error("Creation of container private area failed")
            throw error
        }
        do {
            try Files.makeDirectories(Files.dirname(hostRoot), mode: 0o700)
            if !Files.exists(hostRoot) {
                _ = try sys("mkdir", path: hostRoot, code: .cannotCreateMountPoint) { mkdir(hostRoot, 0o755) }
            }
            try Files.makeDirectories(node.sysroot.confDir, mode: 0o755)
            try AtomicFile.write(confPath, config.render())
            CrashPoint.reached("create.committed")
        } catch {
            NameRegistry(node: node).unregister(ctid)
            try? SafeRemove.removeTree(at: hostPrivate)
            console.error("Creation of container private area failed")
            throw error
        }
        // The name points at the config, so it is registered once that exists.
        do {
            try registerName(ctid, config)
        } catch {
            console.error("Warning: \(error.description)")
        }
        try? PrivateArea.markCommitted(hostPrivate, ctid)
        console.info("Container private area was created")
    }

    /// 44 when VE_PRIVATE already holds something, except the remains of a
    /// killed create of this same CTID, which are removed.
    private func checkPrivateFree(_ ctid: ContainerID, _ hostPrivate: String, configExists: Bool, shown: String) throws(VZError) {
        guard Files.exists(hostPrivate) else { return }
        if !configExists, PrivateArea.marker(at: hostPrivate) == .pending(ctid.description) {
            console.debug("Removing \(hostPrivate) left by an interrupted create")
            try SafeRemove.removeTree(at: hostPrivate)
            return
        }
        throw VZError(.privateExists, "Private area already exists in \(shown)")
    }

    private func checkName(_ ctid: ContainerID, _ config: ConfigFile) throws(VZError) {
        guard let name = config.value("NAME"), !name.isEmpty else { return }
        if let owner = NameRegistry(node: node).owner(of: name), owner != ctid {
            throw VZError(.setName, "Name \(name) is already used by CT \(owner)")
        }
    }

    private func registerName(_ ctid: ContainerID, _ config: ConfigFile) throws(VZError) {
        guard let name = config.value("NAME"), !name.isEmpty else { return }
        try NameRegistry(node: node).register(name, for: ctid)
    }
}
