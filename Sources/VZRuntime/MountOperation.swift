import Glibc
import VZConfig
import VZInventory
import VZSystem

/// The host side of a VPS's file system: VE_PRIVATE bind-mounted on
/// VE_ROOT, visible from the host (provisioning scripts edit files there),
/// private so that nothing mounted under it later propagates anywhere.
/// Used by start/stop and by `vzctl mount`/`umount`.
public struct MountOperation {
    public let node: Node
    public let console: Console

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    struct Paths {
        let hostPrivate: String
        let hostRoot: String
        let shownPrivate: String
    }

    static func paths(_ effective: EffectiveConfig, node: Node) throws(VZError) -> Paths {
        guard let priv = effective["VE_PRIVATE"], !priv.isEmpty else { throw VZError(.vePrivateNotSet, "VE_PRIVATE is not set") }
        guard let root = effective["VE_ROOT"], !root.isEmpty else { throw VZError(.veRootNotSet, "VE_ROOT is not set") }
        let p = Paths(hostPrivate: node.host(priv), hostRoot: node.host(root), shownPrivate: priv)
        guard Files.isDirectory(p.hostPrivate) else {
            throw VZError(.privateNotFound, "Container private area \(priv) does not exist")
        }
        return p
    }

    static func mount(_ p: Paths) throws(VZError) {
        try Files.makeDirectories(p.hostRoot, mode: 0o755)
        _ = try sys("Unable to mount the container root", path: p.hostRoot, code: .cannotMount) {
            Glibc.mount(p.hostPrivate, p.hostRoot, nil, UInt(MS_BIND), nil)
        }
        do {
            _ = try sys("Unable to make the container root private", path: p.hostRoot, code: .cannotMount) {
                Glibc.mount(nil, p.hostRoot, nil, UInt(MS_PRIVATE), nil)
            }
        } catch {
            // Never leave the bind behind a failed mount.
            _ = umount2(p.hostRoot, Int32(MNT_DETACH))
            throw error
        }
    }

    /// Unmounts VE_ROOT (and anything mounted below it on the host). A busy
    /// mount is retried for a second, then detached: after a stop nothing
    /// of the VPS runs, and a lazily detached tree is better than a VPS
    /// that cannot start again.
    static func unmount(_ hostRoot: String) throws(VZError) {
        var tries = 0
        while isMountPoint(hostRoot) {
            if umount2(hostRoot, 0) == 0 { continue }
            let e = errno
            if e == EINVAL && !isMountPoint(hostRoot) { break }
            tries += 1
            if tries >= 10 {
                if umount2(hostRoot, Int32(MNT_DETACH)) == 0 { continue }
                throw VZError(.cannotUnmount, "Unable to unmount the container root", errno: errno, path: hostRoot)
            }
            if e != EBUSY { throw VZError(.cannotUnmount, "Unable to unmount the container root", errno: e, path: hostRoot) }
            Monotonic.sleep(milliseconds: 100)
        }
    }

    /// `vzctl mount CTID`.
    public func mount(_ ctid: ContainerID, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }
        let effective = try node.effective(ctid)
        guard effective.container != nil else { throw VZError(.noContainerConfig, "Container config file does not exist") }
        let p = try MountOperation.paths(effective, node: node)
        if isMountPoint(p.hostRoot) {
            console.info("Container is already mounted")
            return
        }
        try MountOperation.mount(p)
        console.info("Container is mounted")
    }

    /// `vzctl umount CTID`.
    public func unmount(_ ctid: ContainerID, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }
        let effective = try node.effective(ctid)
        guard let root = effective["VE_ROOT"], !root.isEmpty else { throw VZError(.veRootNotSet, "VE_ROOT is not set") }
        if RunState.runningInit(ctid, node: node) != nil {
            throw VZError(.running, "Container is running -- stop it first")
        }
        guard isMountPoint(node.host(root)) else { throw VZError(.notMounted, "CT is not mounted") }
        try MountOperation.unmount(node.host(root))
        console.info("Container is unmounted")
    }
}
