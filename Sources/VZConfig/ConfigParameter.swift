/// One `vzctl set`/`create` option in the parameter table: its spellings,
/// the config keys it writes, and how its value is checked and merged.
/// `ParameterTable.all` lists them, LXC `config_jump_table` style, so adding
/// an option touches one entry; `ParameterChanges` applies them.
public struct ConfigParameter: Sendable {
    public struct Commands: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let set = Commands(rawValue: 1)
        public static let create = Commands(rawValue: 2)
        public static let both: Commands = [.set, .create]
    }

    /// What `vzctl set` must check besides the value (compat §1, §2.3).
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `set` refuses it without `--save` (`--name`, `--ostemplate`, `--stop-timeout`).
        public static let requiresSave = Flags(rawValue: 1)
        /// Takes effect on a running VPS only after a restart: warn unless `--setmode`.
        public static let needsRestart = Flags(rawValue: 2)
        /// Refused while the VPS runs (exit 32): `--root`, `--private`.
        public static let notWhileRunning = Flags(rawValue: 4)
    }

    /// How the value reaches the config.
    enum Action: Sendable {
        /// Replace `key` with the normalised value.
        case replace(key: String, normalize: @Sendable (String) throws(VZError) -> String)
        case beancounter(Beancounter)
        /// `--ram`/`--swap`: bytes → `0:pages` of the given counter.
        case vswap(Beancounter)
        /// DISKSPACE/DISKINODES: `soft[:hard]`, always written as a pair.
        case disk(key: String, unit: ResourceUnit)
        case cpulimit
        case ipAdd, ipDel, nameserver, searchDomain
        case netifAdd, netifDel
        case netifField(NetifField)
        case capability, features, devices, devnodes
        case netdevAdd, netdevDel
    }

    enum NetifField: Sendable, Hashable { case ifname, mac, hostIfname, hostMAC, bridge, macFilter, gateway, gateway6 }

    /// Canonical long option, without dashes (`ipadd`).
    public let name: String
    /// Other long spellings (`ip` for `ipadd`).
    public let aliases: [String]
    public let shortOption: Character?
    /// Config keys this option may write.
    public let keys: [String]
    public let commands: Commands
    public let flags: Flags
    let action: Action

    init(_ name: String, aliases: [String] = [], short: Character? = nil, keys: [String],
         commands: Commands = .set, flags: Flags = [], _ action: Action) {
        self.name = name
        self.aliases = aliases
        self.shortOption = short
        self.keys = keys
        self.commands = commands
        self.flags = flags
        self.action = action
    }

    /// Every long spelling, canonical first.
    public var longNames: [String] { [name] + aliases }
}

/// A getopt description of one spelling. VZConfig cannot see VZCommandLine's
/// `OptionSpec`, so the CLI maps these one to one:
/// `OptionSpec(o.long, short: o.short, .required, canonical: o.canonical)`.
/// Every table option takes a required argument.
public struct ParameterOption: Sendable, Hashable {
    public let long: String
    public let short: Character?
    public let canonical: String
    /// Same as `canonical`, the name `ParameterChanges.add(option:)` takes.
    public var name: String { canonical }
}
