import VZConfig
import VZInventory
import VZSystem

/// `vzctl set CTID ... [--save]`: validate every option (the parameter
/// table), apply the changes to the VPS if it runs (`LiveSettings`: limits,
/// devices, network), then, with --save, rewrite the changed keys of
/// `CTID.conf` in place, atomically. All of it under the container lock,
/// so a concurrent start sees either the old or the new config; a change
/// the kernel refuses fails before anything is saved.
public struct SetOperation {
    public let node: Node
    public let console: Console

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    /// The table's parameters among `changes` that carry `flag`.
    static func parameters(_ changes: ParameterChanges, _ flag: ConfigParameter.Flags) -> [ConfigParameter] {
        changes.options.compactMap { ParameterTable.lookup($0) }.filter { $0.flags.contains(flag) }
    }

    /// Returns whether the VPS runs and a setting needs its restart to
    /// take effect (the caller restarts it for `--setmode restart`).
    @discardableResult
    public func run(_ ctid: ContainerID, changes: ParameterChanges, save: Bool, setMode: SetMode? = nil,
                    skipLock: Bool = false) throws(VZError) -> Bool {
        console.about(ctid)
        if !save {
            // Parameters that only exist saved (vzctl 4.x refuses them
            // otherwise): the table's requiresSave and notWhileRunning ones.
            let needSave = Self.parameters(changes, .requiresSave) + Self.parameters(changes, .notWhileRunning)
            if let p = needSave.first {
                if p.name == "name" { throw VZError(.setName, "Unable to set name without --save flag") }
                throw VZError(.invalidValue, "--\(p.name) requires --save")
            }
        }
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }

        let path = node.configPath(ctid)
        let oldConfig = try node.containerConfig(ctid) ?? ConfigFile()
        var config = oldConfig
        let oldName = config.value("NAME")
        let running = RunState.runningInit(ctid, node: node)
        if let p = Self.parameters(changes, .notWhileRunning).first, running != nil {
            throw VZError(.running, "Unable to change --\(p.name) of a running container")
        }
        _ = try changes.apply(to: &config, ctid: ctid)
        for w in changes.warnings { console.error("Warning: \(w)") }
        let newName = config.value("NAME")
        let registry = NameRegistry(node: node)
        if save, let newName, !newName.isEmpty, newName != oldName {
            if let owner = registry.owner(of: newName), owner != ctid {
                throw VZError(.setName, "Name \(newName) is already used by CT \(owner)")
            }
        }

        // A running VPS gets the changes first: what the kernel refuses
        // fails here, before anything is saved.
        if let initProcess = running {
            let context = LiveContext(
                ctid: ctid, node: node, console: console, initProcess: initProcess, changes: changes,
                old: EffectiveConfig(ctid: ctid, global: node.global, container: oldConfig),
                new: EffectiveConfig(ctid: ctid, global: node.global, container: config))
            for setting in LiveSettings.all { try setting.apply(context) }
        }
        let needsRestart = running != nil && !Self.parameters(changes, .needsRestart).isEmpty
        if needsRestart && setMode == nil { console.error(SetMode.warning) }
        guard save else {
            console.error("WARNING: Settings were not saved to config (use --save flag)")
            return needsRestart
        }
        try Files.makeDirectories(node.sysroot.confDir, mode: 0o755)
        try AtomicFile.write(path, config.render())
        if newName != oldName {
            registry.unregister(ctid)
            if let newName, !newName.isEmpty { try registry.register(newName, for: ctid) }
        }
        console.info("CT configuration saved to /etc/vz/conf/\(ctid).conf")
        return needsRestart
    }
}
