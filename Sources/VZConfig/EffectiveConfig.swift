/// The configuration that applies to one container: `vz.conf` overridden by
/// `CTID.conf` (compat §2.1; the command line is applied on top by the
/// operation). `$VEID` is substituted in VE_ROOT and VE_PRIVATE, the only
/// expansion vzctl performs.
public struct EffectiveConfig: Sendable {
    public let ctid: ContainerID
    public let global: ConfigFile
    public let container: ConfigFile?

    public init(ctid: ContainerID, global: ConfigFile, container: ConfigFile?) {
        self.ctid = ctid
        self.global = global
        self.container = container
    }

    /// Raw value as the files hold it (container first, then global).
    public func raw(_ key: String) -> String? {
        container?.value(key) ?? global.value(key)
    }

    /// Value with `$VEID` substituted where vzctl substitutes it.
    public subscript(key: String) -> String? {
        guard let v = raw(key) else { return nil }
        if key == "VE_ROOT" || key == "VE_PRIVATE" { return EffectiveConfig.substituteVEID(v, ctid) }
        return v
    }

    /// Every key set in either file, container values winning.
    public var merged: [String: String] {
        var d: [String: String] = [:]
        for (k, v) in global.assignments { d[k] = v }
        if let container { for (k, v) in container.assignments { d[k] = v } }
        for k in ["VE_ROOT", "VE_PRIVATE"] { if let v = d[k] { d[k] = EffectiveConfig.substituteVEID(v, ctid) } }
        return d
    }

    public static func substituteVEID(_ v: String, _ ctid: ContainerID) -> String {
        guard v.contains("$") else { return v }
        return v.split(separator: "$VEID", omittingEmptySubsequences: false).joined(separator: ctid.description)
            .split(separator: "${VEID}", omittingEmptySubsequences: false).joined(separator: ctid.description)
    }
}
