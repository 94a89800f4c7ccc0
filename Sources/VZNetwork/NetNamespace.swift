import CVZShim
import Glibc
import VZConfig
import VZSystem

/// A VPS's network namespace, reached through its init's pidfd (never by
/// a pid that could have been recycled) and held as an nsfs fd.
///
/// setns(CLONE_NEWNET) changes only the calling thread and is allowed in a
/// multithreaded process; vzctl is synchronous, so the thread that enters
/// is the thread that leaves. A netlink socket opened while inside stays
/// in the VPS's namespace after the thread is back in the host's.
public final class NetNamespace {
    /// The namespace as an fd (for IFLA_NET_NS_FD and setns).
    public let fd: FileDescriptor

    private init(fd: FileDescriptor) { self.fd = fd }

    /// The namespace of the process behind `pidfd` (which the caller has
    /// verified: pid and start time).
    public static func of(pidfd: FileDescriptor) throws(VZError) -> NetNamespace {
        var out: FileDescriptor?
        try inside(pidfd) { () throws(VZError) in
            out = try FileDescriptor.open("/proc/thread-self/ns/net", O_RDONLY)
        }
        return NetNamespace(fd: out!)
    }

    /// A netlink socket in this namespace.
    public func socket(protocol proto: Int32) throws(VZError) -> NetlinkSocket {
        var out: NetlinkSocket?
        try NetNamespace.inside(fd) { () throws(VZError) in out = try NetlinkSocket(protocol: proto) }
        return out!
    }

    /// Runs `body` with the calling thread in the namespace named by `target`
    /// (an nsfs fd or a pidfd), then returns it to the one it was in.
    public static func inside(_ target: FileDescriptor, _ body: () throws(VZError) -> Void) throws(VZError) {
        let home = try FileDescriptor.open("/proc/thread-self/ns/net", O_RDONLY)
        _ = try sys("Unable to enter the container's network namespace", code: .vethError) {
            vz_setns(target.raw, Int32(VZ_CLONE_NEWNET))
        }
        defer {
            // Going home cannot fail for a namespace we just left; if it
            // did, carrying on would configure the VPS's network as the host's.
            if vz_setns(home.raw, Int32(VZ_CLONE_NEWNET)) != 0 {
                fatalError("vzctl: unable to return to the host network namespace: \(ErrnoName.describe(errno))")
            }
        }
        try body()
    }

    /// Writes a per-interface sysctl of the namespace the calling thread is
    /// in (`/proc/sys/net/...` resolves against the opener's namespace).
    public static func setSysctl(_ path: String, _ value: String) throws(VZError) {
        let fd = try FileDescriptor.open("/proc/sys/net/" + path, O_WRONLY | O_NOFOLLOW, code: .vethError)
        try fd.writeAll(Array((value + "\n").utf8), path: "/proc/sys/net/" + path)
    }
}
