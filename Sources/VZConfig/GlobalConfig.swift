/// Typed view of `/etc/vz/vz.conf` (compat §2.2). Paths are node paths as
/// written; the runtime passes them through `Sysroot.host` when opening.
/// An empty value counts as unset, so `LOCKDIR=""` cannot turn into `/`.
public struct GlobalConfig: Sendable {
    public let file: ConfigFile

    public init(_ file: ConfigFile) { self.file = file }

    public static let defaultLockDir = "/vz/lock"
    public static let defaultDumpDir = "/vz/dump"
    public static let defaultTemplateDir = "/vz/template"
    public static let defaultVERoot = "/vz/root/$VEID"
    public static let defaultVEPrivate = "/vz/private/$VEID"
    public static let defaultLogFile = "/var/log/vzctl.log"
    public static let defaultStopTimeout = 120
    public static let defaultLocalID: UInt32 = 100_000

    func string(_ key: String) -> String? {
        guard let v = file.value(key), !v.isEmpty else { return nil }
        return v
    }

    func yesNo(_ key: String) -> Bool? { ValueSyntax.readYesNo(file.value(key)) }

    public var lockDir: String { string("LOCKDIR") ?? GlobalConfig.defaultLockDir }
    public var dumpDir: String { string("DUMPDIR") ?? GlobalConfig.defaultDumpDir }
    public var templateDir: String { string("TEMPLATE") ?? GlobalConfig.defaultTemplateDir }
    /// `$TEMPLATE/cache`, where OS template tarballs live.
    public var templateCacheDir: String { templateDir + "/cache" }

    /// VE_ROOT / VE_PRIVATE defaults, with `$VEID` unexpanded.
    public var veRoot: String { string("VE_ROOT") ?? GlobalConfig.defaultVERoot }
    public var vePrivate: String { string("VE_PRIVATE") ?? GlobalConfig.defaultVEPrivate }

    /// CONFIGFILE: the sample `create` copies when no `--config` is given
    /// (`vswap-256m` → `ve-vswap-256m.conf-sample`); nil when unset.
    public var defaultSample: String? { string("CONFIGFILE") }
    /// DEF_OSTEMPLATE; nil means `create` needs `--ostemplate` (exit 29).
    public var defaultOSTemplate: String? { string("DEF_OSTEMPLATE") }
    /// VE_LAYOUT as written (`simfs`, `ploop[:mode]`); nil when unset.
    public var layout: String? { string("VE_LAYOUT") }

    /// STOP_TIMEOUT in seconds; unset, 0 or invalid mean 120.
    public var stopTimeout: Int {
        guard let v = string("STOP_TIMEOUT"), let n = ScaledNumber.parseDecimal(v, max: UInt64(Int32.max)), n > 0 else {
            return GlobalConfig.defaultStopTimeout
        }
        return Int(n)
    }

    public var logging: Bool { yesNo("LOGGING") ?? true }
    public var logFile: String { string("LOGFILE") ?? GlobalConfig.defaultLogFile }
    public var logLevel: Int { int("LOG_LEVEL") ?? 0 }
    public var verbose: Int { int("VERBOSE") ?? 0 }

    public var diskQuota: Bool { yesNo("DISK_QUOTA") ?? true }
    public var ipv6: Bool { yesNo("IPV6") ?? true }
    public var localUID: UInt32 { uint32("LOCAL_UID") ?? GlobalConfig.defaultLocalID }
    public var localGID: UInt32 { uint32("LOCAL_GID") ?? GlobalConfig.defaultLocalID }
    public var nameservers: [String] { ValueSyntax.tokens(file.value("NAMESERVER") ?? "") }
    public var searchDomains: [String] { ValueSyntax.tokens(file.value("SEARCHDOMAIN") ?? "") }
    /// VE_PARALLEL; nil means "derive from the CPU count".
    public var parallel: Int? { int("VE_PARALLEL").flatMap { $0 > 0 ? $0 : nil } }

    /// A signed decimal as vzctl's `parse_int` took LOG_LEVEL and VERBOSE.
    func int(_ key: String) -> Int? {
        guard let str = string(key) else { return nil }
        var s = Substring(str)
        var negative = false
        if s.first == "-" { negative = true; s.removeFirst() }
        guard let n = ScaledNumber.parseDecimal(s, max: UInt64(Int32.max)) else { return nil }
        return negative ? -Int(n) : Int(n)
    }

    func uint32(_ key: String) -> UInt32? {
        string(key).flatMap { ScaledNumber.parseDecimal($0, max: UInt64(UInt32.max)) }.map { UInt32($0) }
    }
}
