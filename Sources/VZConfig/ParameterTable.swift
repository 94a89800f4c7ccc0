/// The `vzctl set`/`create` options that only change the config (compat
/// §1-§2.4). Runtime-only options (`--save`, `--setmode`, `--userpasswd`,
/// `--applyconfig`, `--reset_ub`, `--force`, `--config`) belong to the CLI.
public enum ParameterTable {
    public static let all: [ConfigParameter] = build()

    private static let byName: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, p) in all.enumerated() {
            for n in p.longNames { d[n] = i }
            if let s = p.shortOption { d[String(s)] = i }
        }
        return d
    }()

    /// By canonical name, alias or short letter; leading dashes are ignored.
    public static func lookup(_ option: String) -> ConfigParameter? {
        var s = Substring(option)
        while s.first == "-" { s.removeFirst() }
        return byName[String(s)].map { all[$0] }
    }

    /// getopt descriptions of every spelling accepted by `command`.
    public static func options(for command: ConfigParameter.Commands = .both) -> [ParameterOption] {
        var out: [ParameterOption] = []
        for p in all where !p.commands.isDisjoint(with: command) {
            out.append(ParameterOption(long: p.name, short: p.shortOption, canonical: p.name))
            for a in p.aliases { out.append(ParameterOption(long: a, short: nil, canonical: p.name)) }
        }
        return out
    }

    // MARK: - Table

    private typealias P = ConfigParameter

    private static func build() -> [ConfigParameter] {
        var t: [ConfigParameter] = [
            P("hostname", keys: ["HOSTNAME"], commands: .both, .replace(key: "HOSTNAME") { v throws(VZError) in try ValueSyntax.hostname(v) }),
            P("description", keys: ["DESCRIPTION"], commands: .both, .replace(key: "DESCRIPTION") { v throws(VZError) in
                try ConfigValue.checkWritable(v, key: "DESCRIPTION"); return v
            }),
            P("name", keys: ["NAME"], commands: .both, flags: .requiresSave, .replace(key: "NAME") { v throws(VZError) in try ValueSyntax.containerName(v) }),
            P("onboot", keys: ["ONBOOT"], .replace(key: "ONBOOT") { v throws(VZError) in try ValueSyntax.yesNo(v, option: "onboot") }),
            P("bootorder", keys: ["BOOTORDER"], .replace(key: "BOOTORDER") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "bootorder")) }),
            P("disabled", keys: ["DISABLED"], .replace(key: "DISABLED") { v throws(VZError) in try ValueSyntax.yesNo(v, option: "disabled") }),
            P("ostemplate", keys: ["OSTEMPLATE"], commands: .both, flags: .requiresSave, .replace(key: "OSTEMPLATE") { v throws(VZError) in try ValueSyntax.osTemplate(v) }),
            P("root", keys: ["VE_ROOT"], commands: .both, flags: .notWhileRunning, .replace(key: "VE_ROOT") { v throws(VZError) in try ValueSyntax.containerPath(v, key: "VE_ROOT") }),
            P("private", keys: ["VE_PRIVATE"], commands: .both, flags: .notWhileRunning, .replace(key: "VE_PRIVATE") { v throws(VZError) in try ValueSyntax.containerPath(v, key: "VE_PRIVATE") }),
            P("layout", aliases: ["ve_layout", "velayout"], keys: ["VE_LAYOUT"], commands: .create, .replace(key: "VE_LAYOUT") { v throws(VZError) in try layout(v) }),
            P("local_uid", keys: ["LOCAL_UID"], commands: .create, .replace(key: "LOCAL_UID") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "local_uid", range: 0...UInt64(UInt32.max - 65536))) }),
            P("local_gid", keys: ["LOCAL_GID"], commands: .create, .replace(key: "LOCAL_GID") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "local_gid", range: 0...UInt64(UInt32.max - 65536))) }),
            P("stop-timeout", keys: ["STOP_TIMEOUT"], flags: .requiresSave, .replace(key: "STOP_TIMEOUT") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "stop-timeout", range: 0...UInt64(Int32.max))) }),

            // Network
            P("ipadd", aliases: ["ip"], keys: ["IP_ADDRESS"], commands: .both, .ipAdd),
            P("ipdel", keys: ["IP_ADDRESS"], .ipDel),
            P("nameserver", keys: ["NAMESERVER"], .nameserver),
            P("searchdomain", keys: ["SEARCHDOMAIN"], .searchDomain),
            P("netif_add", keys: ["NETIF"], .netifAdd),
            P("netif_del", keys: ["NETIF"], .netifDel),
            P("ifname", keys: ["NETIF"], .netifField(.ifname)),
            P("mac", keys: ["NETIF"], .netifField(.mac)),
            P("host_ifname", keys: ["NETIF"], .netifField(.hostIfname)),
            P("host_mac", keys: ["NETIF"], .netifField(.hostMAC)),
            P("bridge", keys: ["NETIF"], .netifField(.bridge)),
            P("mac_filter", keys: ["NETIF"], .netifField(.macFilter)),
            P("gw", keys: ["NETIF"], .netifField(.gateway)),
            P("gw6", keys: ["NETIF"], .netifField(.gateway6)),
            P("netdev_add", keys: ["NETDEV"], .netdevAdd),
            P("netdev_del", keys: ["NETDEV"], .netdevDel),
            P("netfilter", keys: ["NETFILTER"], flags: .needsRestart, .replace(key: "NETFILTER") { v throws(VZError) in
                guard ValueSyntax.netfilterModes.contains(v) else {
                    throw VZError(.invalidValue, "Invalid value for --netfilter: \(v.debugDescription) (expected disabled, stateless, stateful or full)")
                }
                return v
            }),

            // Memory (vswap) and beancounters
            P("ram", keys: ["PHYSPAGES"], .vswap(.physpages)),
            P("swap", keys: ["SWAPPAGES"], .vswap(.swappages)),
            P("vm_overcommit", keys: ["VM_OVERCOMMIT"], .replace(key: "VM_OVERCOMMIT") { v throws(VZError) in try overcommit(v) }),
            P("meminfo", keys: ["MEMINFO"], .replace(key: "MEMINFO") { v throws(VZError) in try meminfo(v) }),

            // CPU
            P("cpuunits", keys: ["CPUUNITS"], .replace(key: "CPUUNITS") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "cpuunits", range: ValueSyntax.cpuUnitsRange)) }),
            P("cpuweight", keys: ["CPUUWEIGHT"], .replace(key: "CPUUWEIGHT") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "cpuweight", range: 0...UInt64(UInt32.max))) }),
            P("cpulimit", keys: ["CPULIMIT"], .cpulimit),
            P("cpus", keys: ["CPUS"], .replace(key: "CPUS") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "cpus", range: 0...UInt64(CPUMask.cpuBits))) }),
            P("cpumask", keys: ["CPUMASK"], .replace(key: "CPUMASK") { v throws(VZError) in try CPUMask.parse(v, option: "cpumask", bits: CPUMask.cpuBits).description }),
            P("nodemask", keys: ["NODEMASK"], .replace(key: "NODEMASK") { v throws(VZError) in try CPUMask.parse(v, option: "nodemask", bits: CPUMask.nodeBits).description }),

            // I/O
            P("ioprio", keys: ["IOPRIO"], .replace(key: "IOPRIO") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "ioprio", range: 0...7)) }),
            P("iolimit", keys: ["IOLIMIT"], .replace(key: "IOLIMIT") { v throws(VZError) in try iolimit(v) }),
            P("iopslimit", keys: ["IOPSLIMIT"], .replace(key: "IOPSLIMIT") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "iopslimit", range: 0...UInt64(Int32.max))) }),

            // Disk
            P("diskspace", keys: ["DISKSPACE"], commands: .both, .disk(key: "DISKSPACE", unit: .kilobytes)),
            P("diskinodes", keys: ["DISKINODES"], commands: .both, .disk(key: "DISKINODES", unit: .items)),
            P("quotatime", keys: ["QUOTATIME"], .replace(key: "QUOTATIME") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "quotatime", range: 0...UInt64(Int32.max))) }),
            P("quotaugidlimit", keys: ["QUOTAUGIDLIMIT"], flags: .needsRestart, .replace(key: "QUOTAUGIDLIMIT") { v throws(VZError) in String(try ValueSyntax.decimal(v, option: "quotaugidlimit", range: 0...UInt64(Int32.max))) }),
            P("diskquota", keys: ["DISK_QUOTA"], .replace(key: "DISK_QUOTA") { v throws(VZError) in try ValueSyntax.yesNo(v, option: "diskquota") }),
            P("mount_opts", keys: ["MOUNT_OPTS"], flags: .needsRestart, .replace(key: "MOUNT_OPTS") { v throws(VZError) in try mountOptions(v) }),

            // Security
            P("capability", keys: ["CAPABILITY"], flags: .needsRestart, .capability),
            P("features", keys: ["FEATURES"], flags: .needsRestart, .features),
            P("devices", keys: ["DEVICES"], .devices),
            P("devnodes", keys: ["DEVNODES"], .devnodes),
        ]
        for b in Beancounter.allCases {
            t.append(P(b.option, short: b.shortOption, keys: [b.key], .beancounter(b)))
        }
        return t
    }

    // MARK: - Value rules used only here

    /// `simfs` or `ploop[:expanded|plain|raw]`.
    static func layout(_ v: String) throws(VZError) -> String {
        switch v {
        case "simfs", "ploop", "ploop:expanded", "ploop:plain", "ploop:raw": return v
        default: throw VZError(.invalidValue, "Invalid value for --layout: \(v.debugDescription) (expected simfs or ploop[:expanded|plain|raw])")
        }
    }

    /// A non-negative decimal factor such as `1.5`.
    static func overcommit(_ v: String) throws(VZError) -> String {
        let parts = v.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard v.utf8.count <= 20, ScaledNumber.parseDecimal(parts[0]) != nil,
              parts.count == 1 || ScaledNumber.parseDecimal(parts[1]) != nil else {
            throw VZError(.invalidValue, "Invalid value for --vm_overcommit: \(v.debugDescription) (expected a number such as 1.5)")
        }
        return v
    }

    /// `none`, `pages:N` or `privvmpages:N` with N > 0 (vzctl `parse_meminfo`).
    static func meminfo(_ v: String) throws(VZError) -> String {
        if v == "none" { return v }
        let f = v.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard f.count == 2, f[0] == "pages" || f[0] == "privvmpages",
              let n = ScaledNumber.parseDecimal(f[1], max: ScaledNumber.unlimited), n > 0 else {
            throw VZError(.invalidValue, "Invalid value for --meminfo: \(v.debugDescription) (expected none, pages:N or privvmpages:N)")
        }
        return "\(f[0]):\(n)"
    }

    /// `N[B|K|M|G]`, megabytes when bare (compat §2.3), saved in bytes/s.
    /// vzctl passed it to the kernel as an int, hence the INT_MAX cap.
    static func iolimit(_ v: String) throws(VZError) -> String {
        var digits = Substring(v)
        var mul: UInt64 = 1 << 20
        if let last = v.utf8.last, !(last >= 0x30 && last <= 0x39) {
            switch last | 0x20 {
            case UInt8(ascii: "b"): mul = 1
            case UInt8(ascii: "k"): mul = 1 << 10
            case UInt8(ascii: "m"): mul = 1 << 20
            case UInt8(ascii: "g"): mul = 1 << 30
            default: mul = 0
            }
            digits = digits.dropLast()
        }
        guard mul != 0, let n = ScaledNumber.parseDecimal(digits) else {
            throw VZError(.invalidValue, "Invalid value for --iolimit: \(v.debugDescription) (expected N[B|K|M|G])")
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: mul)
        guard !overflow, bytes <= UInt64(Int32.max) else {
            throw VZError(.invalidValue, "Invalid value for --iolimit: \(v.debugDescription) (at most 2G per second)")
        }
        return String(bytes)
    }

    /// Comma-separated mount options: no blanks, nothing a shell would mind.
    static func mountOptions(_ v: String) throws(VZError) -> String {
        try ConfigValue.checkWritable(v, key: "MOUNT_OPTS")
        for c in v.utf8 where c == 0x20 || c == UInt8(ascii: "'") {
            throw VZError(.invalidValue, "Invalid value for --mount_opts: \(v.debugDescription)")
        }
        return v
    }
}
