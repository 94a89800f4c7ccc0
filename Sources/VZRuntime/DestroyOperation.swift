import Glibc
import VZConfig
import VZSystem

/// `vzctl destroy|delete CTID`.
///
/// Order: the private area is renamed into a trash sibling first (one atomic
/// step after which nothing looks like a container), then the config becomes
/// `CTID.conf.destroyed`, and only then is the trash deleted, which is the
/// slow part. A kill at any point leaves either the container untouched, or
/// a config without a private area (hidden from `vzlist -a`; re-running
/// destroy finishes), or trash that the next create or destroy collects.
public struct DestroyOperation {
    public let node: Node
    public let console: Console

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    public func run(_ ctid: ContainerID, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }
        CrashPoint.reached("destroy.locked")

        let effective = try node.effective(ctid)
        guard let privatePath = effective["VE_PRIVATE"], !privatePath.isEmpty else {
            throw VZError(.vePrivateNotSet, "VE_PRIVATE is not set")
        }
        guard let rootPath = effective["VE_ROOT"], !rootPath.isEmpty else {
            throw VZError(.veRootNotSet, "VE_ROOT is not set")
        }
        let hostPrivate = node.host(privatePath)
        let hostRoot = node.host(rootPath)
        let status = try ContainerStatus.probe(ctid, node: node)
        if status.running {
            throw VZError(.running, "Container is currently running. Stop it first.")
        }
        if status.mounted {
            throw VZError(.mounted, "Container is currently mounted (umount first)")
        }

        let parent = Files.dirname(hostPrivate)
        PrivateArea.collectGarbage(in: parent, lockDir: try node.lockDir(), holding: ctid, console: console)

        var trash: String? = nil
        if let st = statNoFollow(hostPrivate) {
            console.info("Destroying container private area: \(privatePath)")
            if (st.st_mode & S_IFMT) != S_IFDIR {
                // vzctl: a private area that is a symlink (or a file) is
                // removed as such; its target is not touched.
                console.error("Warning: container private area is not a directory")
                try Files.unlink(hostPrivate)
            } else {
                try checkOwnership(ctid, hostPrivate, shown: privatePath, effective: effective)
                let t = "\(parent)/\(PrivateArea.siblingName(prefix: PrivateArea.trashPrefix(ctid)))"
                do {
                    try Files.rename(hostPrivate, t, noReplace: true)
                } catch {
                    throw error.with(code: .cannotDeletePrivate).prefixed("Can't move private area to trash: ")
                }
                trash = t
                CrashPoint.reached("destroy.trashed")
            }
        }

        try retireConfig(ctid)
        CrashPoint.reached("destroy.retired")
        NameRegistry(node: node).unregister(ctid)
        if !isMountPoint(hostRoot) { _ = rmdir(hostRoot) }
        if let trash {
            do {
                try SafeRemove.removeTree(at: trash)
            } catch {
                throw error.with(code: .cannotDeletePrivate)
            }
        }
        console.info("Container private area was destroyed")
    }

    /// Refuses to wipe a directory that is not this container's private
    /// area: another container's, or one without our marker that is not
    /// at the node's default place for this CTID (a hand-edited VE_PRIVATE).
    private func checkOwnership(_ ctid: ContainerID, _ hostPrivate: String, shown: String, effective: EffectiveConfig) throws(VZError) {
        if isMountPoint(hostPrivate) {
            throw VZError(.cannotDeletePrivate, "Private area \(shown) is a mount point; unmount it first")
        }
        switch PrivateArea.marker(at: hostPrivate) {
        case .committed(let id), .pending(let id):
            if id == ctid.description { return }
            throw VZError(.cannotDeletePrivate, "Refusing to destroy \(shown): it is the private area of CT \(id)")
        case .none:
            let defaultPrivate = node.global.value("VE_PRIVATE").map { EffectiveConfig.substituteVEID($0, ctid) }
            if defaultPrivate == effective["VE_PRIVATE"] { return }
            throw VZError(.cannotDeletePrivate,
                "Refusing to destroy \(shown): not a private area made by vzctl for CT \(ctid) (no \(PrivateArea.markerName) attribute)")
        }
    }

    /// `CTID.conf` and its action scripts become `*.destroyed` (vzctl 4.x).
    private func retireConfig(_ ctid: ContainerID) throws(VZError) {
        let dir = node.sysroot.confDir
        for suffix in ["conf", "mount", "umount", "premount", "postumount", "start", "stop"] {
            let path = "\(dir)/\(ctid).\(suffix)"
            guard Files.exists(path) else { continue }
            try Files.rename(path, path + ".destroyed")
        }
        if Files.isDirectory(dir) { try Files.syncDirectory(dir) }
    }
}
