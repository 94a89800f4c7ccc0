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

    /// Every `$VEID` and `${VEID}` replaced by the CTID. Matched on bytes, as
    /// vzctl's `strstr` did, in one pass: vzlist substitutes two values of
    /// each of 1,000 containers.
    public static func substituteVEID(_ v: String, _ ctid: ContainerID) -> String {
        guard v.utf8.contains(UInt8(ascii: "$")) else { return v }
        let u = Array(v.utf8)
        let id = Array(ctid.description.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(u.count + 8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "$") {
                if matches(u, i, "$VEID") {
                    out += id
                    i += 5
                    continue
                }
                if matches(u, i, "${VEID}") {
                    out += id
                    i += 7
                    continue
                }
            }
            out.append(u[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func matches(_ u: [UInt8], _ i: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard u.count - i >= n else { return false }
        return word.withUTF8Buffer { w in
            for k in 0..<n where u[i + k] != w[k] { return false }
            return true
        }
    }
}
