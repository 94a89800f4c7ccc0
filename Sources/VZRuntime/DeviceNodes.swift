import CVZShim
import Glibc
import VZConfig
import VZSystem

/// DEVNODES (`net/tun:rw`): a host device node that the VPS may use, both
/// allowed in its device cgroup and created in its /dev with the host
/// node's type, number and permissions (vzctl 4.x `--devnodes`). The host
/// side resolves the names against the host's own /dev; the nodes are made
/// by the init stage in the VPS's fresh /dev, or, for `vzctl set` on a
/// running VPS, from the host in the VPS's /dev, never through a symlink.
struct DeviceNodeSpec: Equatable, Sendable {
    var name: String
    var block: Bool
    var major: UInt32
    var minor: UInt32
    /// Permission bits of the host's node.
    var mode: UInt32
    var access: DeviceRule.Access

    /// The DEVICES-style rule the device cgroup gets for it.
    var rule: DeviceRule { DeviceRule(type: block ? .block : .char, major: major, minor: minor, access: access) }
}

enum DeviceNodes {
    /// Looks the DEVNODES names up in the host's /dev (a kernel interface,
    /// not under VZ_SYSROOT). A node that must be given (`r`/`w`) but is
    /// missing or not a device is exit 86; one set to `none` is skipped.
    static func resolve(_ nodes: [DeviceNode]) throws(VZError) -> [DeviceNodeSpec] {
        var out: [DeviceNodeSpec] = []
        for n in nodes {
            let path = "/dev/" + n.name
            guard let st = statFollowing(path), (st.st_mode & S_IFMT) == S_IFCHR || (st.st_mode & S_IFMT) == S_IFBLK else {
                if n.access.isEmpty { continue }
                throw VZError(.setDevices, "Unable to set --devnodes \(n): \(path) is not a device node on the host")
            }
            let rdev = UInt64(st.st_rdev)
            out.append(DeviceNodeSpec(name: n.name, block: (st.st_mode & S_IFMT) == S_IFBLK, major: DeviceNumber.major(rdev),
                                      minor: DeviceNumber.minor(rdev), mode: UInt32(st.st_mode & 0o777), access: n.access))
        }
        return out
    }

    /// Makes the nodes that grant access beneath `dev`, with their parent
    /// directories (0755). Every directory is opened beneath `dev` with no
    /// symlink followed; an existing entry is left as it is.
    static func create(_ specs: [DeviceNodeSpec], in dev: FileDescriptor) throws(VZError) {
        // The host node's mode exactly, as the init stage makes them
        // (umask 0 there); vzctl's own umask would narrow it.
        let saved = umask(0)
        defer { umask(saved) }
        for s in specs where !s.access.subtracting(.quota).isEmpty {
            var dir = dev
            let parts = s.name.split(separator: "/").map(String.init)
            for d in parts.dropLast() {
                if mkdirat(dir.raw, d, 0o755) != 0 && errno != EEXIST {
                    throw VZError(.setDevices, "Unable to create /dev/\(s.name)", errno: errno)
                }
                let confined = VZ_RESOLVE_BENEATH | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_NO_MAGICLINKS
                let next = try sys("Unable to create /dev/\(s.name)", code: .setDevices) {
                    vz_openat2(dir.raw, d, UInt64(Int32(VZ_O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), 0, confined)
                }
                dir = FileDescriptor(owning: next)
            }
            let type = s.block ? S_IFBLK : S_IFCHR
            if mknodat(dir.raw, parts.last!, mode_t(type) | mode_t(s.mode), dev_t(DeviceNumber.make(s.major, s.minor))) != 0 && errno != EEXIST {
                throw VZError(.setDevices, "Unable to create /dev/\(s.name)", errno: errno)
            }
        }
    }

    /// `create` in a running VPS's /dev, from the host: through the init's
    /// root (opened while its pidfd shows the pid is still that init),
    /// `dev` resolved inside that root with no symlink followed.
    static func create(_ specs: [DeviceNodeSpec], initPid: pid_t, pidfd: FileDescriptor) throws(VZError) {
        guard specs.contains(where: { !$0.access.subtracting(.quota).isEmpty }) else { return }
        let root = try FileDescriptor.open("/proc/\(initPid)/root", Int32(VZ_O_PATH) | O_DIRECTORY, code: .setDevices)
        guard vz_pidfd_send_signal(pidfd.raw, 0) == 0 else { throw VZError(.notRunning, "Container is not running") }
        let resolve = VZ_RESOLVE_IN_ROOT | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_NO_MAGICLINKS
        let fd = try sys("Unable to open the container's /dev", code: .setDevices) {
            vz_openat2(root.raw, "dev", UInt64(Int32(VZ_O_PATH) | O_DIRECTORY | O_CLOEXEC), 0, resolve)
        }
        try create(specs, in: FileDescriptor(owning: fd))
    }
}
