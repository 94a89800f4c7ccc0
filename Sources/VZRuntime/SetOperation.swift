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

    /// The table's parameters among `changes` that carry `flag`.
    static func parameters(_ changes: ParameterChanges, _ flag: ConfigParameter.Flags) -> [ConfigParameter] {
        changes.options.compactMap { ParameterTable.lookup($0) }.filter { $0.flags.contains(flag) }
    }

    public func run(_ ctid: ContainerID, changes: ParameterChanges, save: Bool, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        if !save {
            // Parameters that only exist saved (vzctl 4.x refuses them
            // otherwise): the table's requiresSave and notWhileRunning ones.
            let needSave = Self.parameters(changes, .requiresSave) + Self.parameters(changes, .notWhileRunning)
            if let p = needSave.first {
                if p.name == "name" { throw VZError(.setName, "Unable to set name without --save flag") }
                throw VZError(.invalidValue, "--\(p.name) requires --save")
            }
            // vzctl's warning. Applying settings to a running VPS comes with
            // the beancounter and network issues; until then say so.
            if (try? ContainerStatus.probe(ctid, node: node))?.running == true {
                console.error("WARNING: applying settings to a running container is not supported yet; nothing was changed")
            }
            console.error("WARNING: Settings were not saved to config (use --save flag)")
            return
        }
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }

        let path = node.configPath(ctid)
        var config = try node.containerConfig(ctid) ?? ConfigFile()
        let oldName = config.value("NAME")
        if let p = Self.parameters(changes, .notWhileRunning).first,
           (try? ContainerStatus.probe(ctid, node: node))?.running == true {
            throw VZError(.running, "Unable to change --\(p.name) of a running container")
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
