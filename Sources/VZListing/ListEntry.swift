import VZConfig

/// One container's values as vzlist displays them: config values parsed the
/// way vzctl parsed them, overlaid with runtime readings for a running
/// container (4.x preferred what the kernel reported over the config).
/// Built once per container before sorting and rendering.
struct ListEntry {
    let ctid: UInt32
    let status: ListStatus
    let layout: PrivateLayout
    let privateExists: Bool

    var privatePath: String?
    var rootPath: String?
    var mountOpts: String?
    var originSample: String?
    var hostname: String?
    var name: String?
    var description: String?
    var ostemplate: String?
    /// Space-joined lists, as vzctl's `list2str` made them; split again for JSON.
    var ip: String?
    var nameserver: String?
    var searchdomain: String?

    /// (held, maxheld, barrier, limit, failcnt) of each needed beancounter,
    /// at `slots[bc]`. 4.x allocated the table for every configured
    /// container, so a counter missing from the config shows barrier/limit
    /// 0, never `-`.
    var ubc: [UInt64]
    /// Per beancounter slot, the columns (`BeancounterColumns` bits) of a
    /// running container the kernel gave a number for. Without one, the
    /// usage is unknown (`-`, null), never a made-up 0.
    var measured: [UInt8] = []
    let slots: [Int8]
    /// diskspace (usage, soft, hard) then diskinodes; nil when neither
    /// DISKSPACE nor DISKINODES is set and nothing was measured.
    var quota: [UInt64]?
    var cpu: (limit: UInt64, units: UInt64)?
    /// -1 when unset, as in 4.x (shown as `-`, JSON 0).
    var cpus = -1
    var ioprio = -1
    var iolimit = -1
    var iopslimit = -1
    /// nil: ONBOOT unset.
    var onboot: Bool?
    var bootorder: UInt64?
    var features: (mask: UInt32, known: UInt32) = (0, 0)
    var vswap = false
    var disabled = false
    /// 0 when unset (4.x printed `-` for 0).
    var vmOvercommit: Float = 0
    var netfilter: String?
    var capabilities: [(name: String, on: Bool)]?
    var loadAverage: (Double, Double, Double)?
    var uptime: Double?

    var isRunning: Bool { status == .running }

    /// Whether `col` (held, maxheld or failcnt) of `bc` is a real reading
    /// (running, and the kernel keeps that number).
    func hasUsage(_ bc: ListedBeancounter, _ col: BeancounterColumn) -> Bool {
        let s = Int(slots[bc.rawValue])
        return isRunning && s >= 0 && s < measured.count && measured[s] & col.columns.rawValue != 0
    }

    func ubcValue(_ bc: ListedBeancounter, _ col: BeancounterColumn) -> UInt64 {
        let s = Int(slots[bc.rawValue])
        return s < 0 ? 0 : ubc[s * 5 + col.rawValue]
    }

    /// What to parse: only what a column, the sort key or a filter reads,
    /// so `vzlist -a` over many containers parses five values, not fifty.
    struct Needs {
        /// Plain attributes, as bits of `Attribute`.
        private(set) var attributes: UInt32 = 0
        private(set) var beancounters: [ListedBeancounter] = []
        /// Index of each beancounter in `ListEntry.ubc`, -1 when not kept.
        private(set) var slots = [Int8](repeating: -1, count: ListedBeancounter.allCases.count)

        enum Attribute: Int {
            case privatePath, rootPath, mountOpts, originSample, hostname, name, description, ostemplate
            case ip, nameserver, searchdomain, quota, cpu, cpus, ioprio, iolimit, iopslimit
            case onboot, bootorder, features, disabled, vmOvercommit, netfilter, capability, runtime
        }

        init(kinds: [FieldKind]) {
            for k in kinds { add(k) }
        }

        func has(_ a: Attribute) -> Bool { attributes & (1 << a.rawValue) != 0 }

        private mutating func set(_ a: Attribute) { attributes |= 1 << a.rawValue }

        private mutating func add(_ bc: ListedBeancounter) {
            guard slots[bc.rawValue] < 0 else { return }
            slots[bc.rawValue] = Int8(beancounters.count)
            beancounters.append(bc)
        }

        mutating func add(_ kind: FieldKind) {
            switch kind {
            case .ctid, .status, .layout: break
            case .privateArea: set(.privatePath)
            case .root: set(.rootPath)
            case .mountOpts: set(.mountOpts)
            case .originSample: set(.originSample)
            case .hostname: set(.hostname)
            case .name, .smartName: set(.name)
            case .description: set(.description)
            case .ostemplate: set(.ostemplate)
            case .ip: set(.ip)
            case .nameserver: set(.nameserver)
            case .searchdomain: set(.searchdomain)
            case .beancounter(let bc, _): add(bc)
            case .diskspace, .diskinodes: set(.quota)
            case .laverage, .uptime: set(.runtime)
            case .cpulimit, .cpuunits: set(.cpu)
            case .cpus: set(.cpus)
            case .ioprio: set(.ioprio)
            case .iolimit: set(.iolimit)
            case .iopslimit: set(.iopslimit)
            case .onboot: set(.onboot)
            case .bootorder: set(.bootorder)
            case .features: set(.features)
            case .vswap: add(.physpages)
            case .disabled: set(.disabled)
            case .vmOvercommit: set(.vmOvercommit)
            case .netfilter: set(.netfilter)
            case .capability: set(.capability)
            }
        }
    }

    /// The config keys a field reads (ListDetails.configKeys).
    static func configKeys(for kind: FieldKind) -> [String] {
        switch kind {
        case .ctid, .status, .laverage, .uptime: return []
        case .privateArea: return ["VE_PRIVATE"]
        case .root: return ["VE_ROOT"]
        case .mountOpts: return ["MOUNT_OPTS"]
        case .originSample: return ["ORIGIN_SAMPLE"]
        case .hostname: return ["HOSTNAME"]
        case .name, .smartName: return ["NAME"]
        case .description: return ["DESCRIPTION"]
        case .ostemplate: return ["OSTEMPLATE"]
        case .ip: return ["IP_ADDRESS"]
        case .nameserver: return ["NAMESERVER"]
        case .searchdomain: return ["SEARCHDOMAIN"]
        case .beancounter(let bc, _): return bc.configKeys
        case .diskspace, .diskinodes: return ["DISKSPACE", "DISKINODES"]
        case .cpulimit, .cpuunits: return ["CPULIMIT", "CPUUNITS"]
        case .cpus: return ["CPUS"]
        case .ioprio: return ["IOPRIO"]
        case .iolimit: return ["IOLIMIT"]
        case .iopslimit: return ["IOPSLIMIT"]
        case .onboot: return ["ONBOOT"]
        case .bootorder: return ["BOOTORDER"]
        case .layout: return ["VE_LAYOUT"]
        case .features: return ["FEATURES"]
        case .vswap: return ["PHYSPAGES"]
        case .disabled: return ["DISABLED"]
        case .vmOvercommit: return ["VM_OVERCOMMIT"]
        case .netfilter: return ["NETFILTER"]
        case .capability: return ["CAPABILITY"]
        }
    }

    init(_ record: ListRecord, needs: Needs, hostCPUs: Int) {
        let c = record.values
        let rt = record.status == .running ? record.runtime : nil
        ctid = record.ctid.value
        status = record.status
        layout = record.layout
        privateExists = record.privateExists
        slots = needs.slots

        if needs.has(.privatePath) { privatePath = c[.vePrivate] }
        if needs.has(.rootPath) { rootPath = c[.veRoot] }
        if needs.has(.mountOpts) { mountOpts = c[.mountOpts] }
        if needs.has(.originSample) { originSample = c[.originSample] }
        if needs.has(.hostname) { hostname = c[.hostname] }
        if needs.has(.description) { description = c[.description] }
        if needs.has(.ostemplate) { ostemplate = c[.ostemplate] }
        if needs.has(.name), let n = c[.name], record.nameRegistered, ListValueParser.isValidName(n) { name = n }

        if needs.has(.ip) {
            if let ips = rt?.ipAddresses, !ips.isEmpty {
                ip = ips.joined(separator: " ")
            } else if let v = c[.ipAddress], let ips = ListValueParser.ipAddresses(v) {
                ip = ips.count == 1 ? ips[0] : ips.joined(separator: " ")
            }
        }
        if needs.has(.nameserver) {
            nameserver = c[.nameserver].flatMap(ListValueParser.words).map { $0.joined(separator: " ") }
        }
        if needs.has(.searchdomain) {
            searchdomain = c[.searchdomain].flatMap(ListValueParser.words).map { $0.joined(separator: " ") }
        }

        ubc = [UInt64](repeating: 0, count: needs.beancounters.count * 5)
        measured = [UInt8](repeating: 0, count: needs.beancounters.count)
        for bc in needs.beancounters {
            let configured = record.configured(bc)
            var (barrier, limit) = configured.map { ($0.barrier, $0.limit) } ?? (0, 0)
            let base = Int(slots[bc.rawValue]) * 5
            let reading = rt?.beancounters[bc]
            if let r = reading {
                var m: BeancounterColumns = []
                if let v = r.held { ubc[base] = v; m.insert(.held) }
                if let v = r.maxheld { ubc[base + 1] = v; m.insert(.maxheld) }
                if let v = r.failcnt { ubc[base + 4] = v; m.insert(.failcnt) }
                measured[Int(slots[bc.rawValue])] = m.rawValue
                // A running container's unset counter has no limit, as 4.x
                // read it from /proc/bc (LONG_MAX), unless the kernel holds
                // one, which then is its barrier too (one value means both);
                // a stopped one's shows 0.
                if configured == nil { (barrier, limit) = (r.limit ?? ScaledNumber.unlimited, ScaledNumber.unlimited) }
                barrier = r.barrier ?? barrier
                limit = r.limit ?? limit
            }
            ubc[base + 2] = barrier
            ubc[base + 3] = limit
            if bc == .physpages {
                // 4.x's is_vswap_config(): a physpages limit that is set and finite.
                let known = configured != nil || reading?.limit != nil
                vswap = known && limit != ScaledNumber.unlimited && limit != UInt64(Int32.max)
            }
        }

        if needs.has(.quota) {
            let space = c[.diskspace].flatMap { ListValueParser.pair($0, divisor: 1024, allowUnlimited: false) }
            let inodes = c[.diskinodes].flatMap { ListValueParser.pair($0, divisor: 1, allowUnlimited: false) }
            let usage = rt?.diskUsage
            if space != nil || inodes != nil || usage != nil {
                quota = [usage?.kilobytes ?? 0, space?.0 ?? 0, space?.1 ?? 0,
                         usage?.inodes ?? 0, inodes?.0 ?? 0, inodes?.1 ?? 0]
            }
        }
        if needs.has(.cpu) {
            let limitValue = rt?.cpuLimit ?? c[.cpulimit].flatMap { ListValueParser.cpuLimit($0, hostCPUs: hostCPUs) }
            let unitsValue = rt?.cpuUnits ?? c[.cpuunits].flatMap(ListValueParser.cpuUnits)
            if limitValue != nil || unitsValue != nil { cpu = (limitValue ?? 0, unitsValue ?? 0) }
        }
        if needs.has(.cpus) {
            if let n = rt?.cpus {
                cpus = n
            } else if let n = c[.cpus].flatMap(ListValueParser.unsignedLong) {
                cpus = Int(clamping: n)
            }
        }
        if needs.has(.ioprio) { ioprio = c[.ioprio].flatMap(ListValueParser.ioPriority) ?? -1 }
        if needs.has(.iolimit) { iolimit = rt?.ioLimit ?? c[.iolimit].flatMap(ListValueParser.ioLimit) ?? -1 }
        if needs.has(.iopslimit) { iopslimit = rt?.iopsLimit ?? c[.iopslimit].flatMap(ListValueParser.iopsLimit) ?? -1 }
        if needs.has(.onboot) { onboot = c[.onboot].flatMap(ListValueParser.yesNo) }
        if needs.has(.bootorder) { bootorder = c[.bootorder].flatMap(ListValueParser.unsignedLong) }
        if needs.has(.features), let f = c[.features] { features = ListValueParser.features(f) }
        if needs.has(.disabled) { disabled = c[.disabled].flatMap(ListValueParser.yesNo) ?? false }
        if needs.has(.vmOvercommit) { vmOvercommit = c[.vmOvercommit].flatMap(ListValueParser.float) ?? 0 }
        if needs.has(.netfilter) { netfilter = c[.netfilter].flatMap(ListValueParser.netfilter) }
        if needs.has(.capability) { capabilities = c[.capability].flatMap(ListValueParser.capabilities) }

        loadAverage = rt?.loadAverage
        uptime = rt?.uptime
    }
}
