import VZConfig
import VZSystem

/// One hardware node as the tools see it: `VZ_SYSROOT`, the parsed global
/// `vz.conf`, and where things live. Every host path an operation opens comes
/// from here, already prefixed with the sysroot; paths shown to the admin or
/// saved in configs stay as the config spells them.
public struct Node: Sendable {
    public let sysroot: Sysroot
    public let global: ConfigFile

    /// Loads `vz.conf`; missing or unreadable is vzctl's exit 10.
    public static func load(sysroot: Sysroot) throws(VZError) -> Node {
        let path = sysroot.globalConfig
        let bytes: [UInt8]?
        do {
            bytes = try Files.read(path)
        } catch {
            throw error.with(code: .noGlobalConfig)
        }
        guard let bytes else {
            throw VZError(.noGlobalConfig, "Global configuration file \(path) not found")
        }
        return Node(sysroot: sysroot, global: ConfigFile(bytes: bytes))
    }

    public init(sysroot: Sysroot, global: ConfigFile) {
        self.sysroot = sysroot
        self.global = global
    }

    public func host(_ path: String) -> String { sysroot.host(path) }

    public func configPath(_ ctid: ContainerID) -> String { "\(sysroot.confDir)/\(ctid).conf" }
    public func destroyedConfigPath(_ ctid: ContainerID) -> String { "\(sysroot.confDir)/\(ctid).conf.destroyed" }
    public func samplePath(_ name: String) -> String { "\(sysroot.confDir)/ve-\(name).conf-sample" }
    public func namePath(_ name: String) -> String { "\(sysroot.namesDir)/\(name)" }

    /// LOCKDIR as a host path (default /vz/lock; unset-but-empty is exit 77).
    public func lockDir() throws(VZError) -> String {
        let dir = global.value("LOCKDIR") ?? "/vz/lock"
        guard !dir.isEmpty else { throw VZError(.lockDirNotSet, "LOCKDIR is not set") }
        return host(dir)
    }

    /// TEMPLATE/cache as a host path.
    public func templateCacheDir() throws(VZError) -> String {
        guard let t = global.value("TEMPLATE") ?? Optional("/vz/template"), !t.isEmpty else {
            throw VZError(.templateNotSet, "TEMPLATE is not set")
        }
        return host(t) + "/cache"
    }

    /// The container's config file, or nil when it does not exist.
    public func containerConfig(_ ctid: ContainerID) throws(VZError) -> ConfigFile? {
        guard let bytes = try Files.read(configPath(ctid)) else { return nil }
        return ConfigFile(bytes: bytes)
    }

    public func effective(_ ctid: ContainerID) throws(VZError) -> EffectiveConfig {
        EffectiveConfig(ctid: ctid, global: global, container: try containerConfig(ctid))
    }

    /// Takes the container lock unless `skip` (vzctl --skiplock).
    public func lock(_ ctid: ContainerID, skip: Bool) throws(VZError) -> ContainerLock? {
        if skip { return nil }
        return try ContainerLock.acquire(lockDir: lockDir(), name: ctid.description)
    }
}
