/// `VZ_SYSROOT`: an alternate root for every host path the tools use, in the
/// manner of `dpkg --root`. Config files keep the paths as admins wrote them
/// (`/vz/private/101`); only the moment a path is opened goes through
/// `host(_:)`. Kernel interfaces (/proc, /sys, cgroupfs) are never prefixed.
public struct Sysroot: Sendable, Equatable {
    /// Absolute, without a trailing slash; "" for the real root.
    public let prefix: String

    public init(_ root: String?) {
        var p = root ?? ""
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        prefix = (p == "/" ) ? "" : p
    }

    public static func fromEnvironment(_ env: [String: String]) -> Sysroot {
        Sysroot(env["VZ_SYSROOT"])
    }

    /// The host path for a node path (`/etc/vz/vz.conf` → `$VZ_SYSROOT/etc/vz/vz.conf`).
    public func host(_ path: String) -> String {
        guard !prefix.isEmpty else { return path }
        return path.hasPrefix("/") ? prefix + path : prefix + "/" + path
    }

    /// Fixed node paths (compat §6).
    public var globalConfig: String { host("/etc/vz/vz.conf") }
    public var confDir: String { host("/etc/vz/conf") }
    public var namesDir: String { host("/etc/vz/names") }
    public var stateDir: String { host("/var/lib/vzctl") }
}
