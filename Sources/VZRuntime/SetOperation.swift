import VZConfig
import VZSystem

/// `vzctl set CTID ... [--save]` for settings that need no running
/// container: validate every option (the parameter table), then, with
/// --save, rewrite the changed keys of `CTID.conf` in place, atomically,
/// under the container lock. Applying settings to a running container comes
/// with the issues that make containers run.
public struct SetOperation {
    public let node: Node
    public let console: Console

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    /// Options that only make sense saved (vzctl 4.x refuses them otherwise).
    static let requireSave: Set<String> = ["NAME", "OSTEMPLATE", "STOP_TIMEOUT", "VE_ROOT", "VE_PRIVATE"]

    public func run(_ ctid: ContainerID, changes: ParameterChanges, save: Bool, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        if !save {
            if let key = changes.changedKeys.first(where: { Self.requireSave.contains($0) }) {
                if key == "NAME" { throw VZError(.setName, "Unable to set name without --save flag") }
                throw VZError(.invalidValue, "Setting \(key) requires --save")
            }
            // Nothing runs yet, so nothing can be applied live; vzctl prints
            // this same warning for a stopped container.
            console.error("WARNING: Settings were not saved to config (use --save flag)")
            return
        }
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }

        let path = node.configPath(ctid)
        var config = try node.containerConfig(ctid) ?? ConfigFile()
        let oldName = config.value("NAME")
        if (try? ContainerStatus.probe(ctid, node: node))?.running == true,
           let key = changes.changedKeys.first(where: { $0 == "VE_ROOT" || $0 == "VE_PRIVATE" }) {
            throw VZError(.running, "Unable to change \(key) of a running container")
        }
        _ = try changes.apply(to: &config, ctid: ctid)
        for w in changes.warnings { console.error("Warning: \(w)") }
        let newName = config.value("NAME")
        let registry = NameRegistry(node: node)
        if let newName, !newName.isEmpty, newName != oldName {
            if let owner = registry.owner(of: newName), owner != ctid {
                throw VZError(.setName, "Name \(newName) is already used by CT \(owner)")
            }
        }
        try Files.makeDirectories(node.sysroot.confDir, mode: 0o755)
        try AtomicFile.write(path, config.render())
        if newName != oldName {
            registry.unregister(ctid)
            if let newName, !newName.isEmpty { try registry.register(newName, for: ctid) }
        }
        console.info("CT configuration saved to /etc/vz/conf/\(ctid).conf")
    }
}
