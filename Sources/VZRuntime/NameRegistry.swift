import Glibc
import VZConfig
import VZSystem

/// Container names (`--name`): `/etc/vz/names/NAME` is a symlink to
/// `../conf/CTID.conf` (compat §6), so a name maps to one CTID and scripts
/// can resolve it with readlink.
public struct NameRegistry {
    public let node: Node

    public init(node: Node) { self.node = node }

    /// The CTID a name points to, if the link and its config exist.
    public func owner(of name: String) -> ContainerID? {
        guard isValidName(name) else { return nil }
        guard let target = Files.readLink(node.namePath(name)) else { return nil }
        let file = Files.basename(target)
        guard file.hasSuffix(".conf"), let id = ContainerID(String(file.dropLast(5))),
              Files.exists(node.configPath(id)) else { return nil }
        return id
    }

    public func register(_ name: String, for ctid: ContainerID) throws(VZError) {
        guard isValidName(name) else { throw VZError(.setName, "Invalid name \(name)") }
        try Files.makeDirectories(node.sysroot.namesDir, mode: 0o755)
        let link = node.namePath(name)
        let tmp = link + ".tmp.\(getpid())"
        _ = Glibc.unlink(tmp)
        _ = try sys("symlink", path: tmp, code: .setName) { symlink("../conf/\(ctid).conf", tmp) }
        _ = try sys("rename", path: link, code: .setName) { rename(tmp, link) }
    }

    /// Removes the link of every name pointing at `ctid`'s config.
    public func unregister(_ ctid: ContainerID) {
        for name in Files.list(node.sysroot.namesDir) {
            guard let target = Files.readLink(node.namePath(name)) else { continue }
            if Files.basename(target) == "\(ctid).conf" { _ = Glibc.unlink(node.namePath(name)) }
        }
    }

    /// Resolves a command-line CT argument: a CTID, or a registered name.
    public func resolve(_ arg: String) throws(VZError) -> ContainerID {
        if let id = ContainerID(arg) { return id }
        if let id = owner(of: arg) { return id }
        throw VZError(.invalidValue, "Bad CT ID \(arg)")
    }

    /// A name is a single path component (it becomes a file name here).
    private func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".." && !name.hasPrefix(".")
    }
}
