import Glibc
import VZConfig
import VZSystem

/// How the tool recognises a private area it made, and the names of its
/// in-flight siblings.
///
/// A private area carries the extended attribute `trusted.vzctl.ctid`. Only
/// host root can set `trusted.*` (it needs CAP_SYS_ADMIN, which container
/// root never has), so a container cannot forge or strip it, and a config
/// edited by hand to `VE_PRIVATE="/"` is refused by destroy instead of
/// wiping the host.
///
/// Its value is `CTID` once the container exists, and `CTID pending` between
/// the rename of the staging directory and the write of `CTID.conf`, the
/// commit point of create. A pending area with no config is the remains of a
/// create that was killed, which the next create of that CTID removes.
///
/// Siblings in the parent directory of VE_PRIVATE (same file system, so
/// renames are atomic):
///   .staging-CTID.XXXXXX   extraction in progress (create holds the lock)
///   .trash-CTID.XXXXXX     being deleted (destroy holds the lock)
/// Either one without a live lock holder is garbage from a killed vzctl.
public enum PrivateArea {
    public static let markerName = "trusted.vzctl.ctid"

    public enum Marker: Equatable {
        case none
        case committed(String)
        case pending(String)
    }

    public static func marker(at path: String) -> Marker {
        guard let v = ExtendedAttribute.get(path, markerName) else { return .none }
        if v.hasSuffix(" pending") { return .pending(String(v.dropLast(8))) }
        return .committed(v)
    }

    public static func markPending(_ path: String, _ ctid: ContainerID) throws(VZError) {
        try ExtendedAttribute.set(path, markerName, "\(ctid) pending")
    }

    public static func markCommitted(_ path: String, _ ctid: ContainerID) throws(VZError) {
        try ExtendedAttribute.set(path, markerName, ctid.description)
    }

    public static func stagingPrefix(_ ctid: ContainerID) -> String { ".staging-\(ctid)." }
    public static func trashPrefix(_ ctid: ContainerID) -> String { ".trash-\(ctid)." }

    /// A fresh, unique sibling name (`.staging-101.k3J9xQ`).
    public static func siblingName(prefix: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + String((0..<8).map { _ in alphabet.randomElement()! })
    }

    /// The CTID a staging or trash name belongs to.
    static func owner(ofSibling name: String) -> ContainerID? {
        for kind in [".staging-", ".trash-"] where name.hasPrefix(kind) {
            let rest = name.dropFirst(kind.count)
            guard let dot = rest.firstIndex(of: ".") else { return nil }
            return ContainerID(String(rest[..<dot]))
        }
        return nil
    }

    /// Removes staging and trash directories in `parent` left by killed
    /// vzctl processes. A sibling whose CTID lock is held by a live process
    /// belongs to work in progress and is left alone; `held` is the CTID
    /// whose lock the caller itself holds.
    public static func collectGarbage(in parent: String, lockDir: String, holding held: ContainerID?, console: Console) {
        for name in Files.list(parent) {
            guard let owner = owner(ofSibling: name) else { continue }
            var lock: ContainerLock? = nil
            if owner != held {
                guard let l = try? ContainerLock.tryAcquire(lockDir: lockDir, name: owner.description) else { continue }
                lock = l
            }
            do {
                try SafeRemove.removeTree(at: "\(parent)/\(name)")
                console.debug("Removed stale \(parent)/\(name)")
            } catch {
                console.error("Warning: unable to remove stale \(parent)/\(name): \(error)")
            }
            _ = lock
        }
    }
}
