/// vzlist -j, byte for byte as 4.x printed it (Listing.render writes the
/// brackets and streams one `object` per container):
///
///     [
///       {
///         "ctid": 101,
///         "kmemsize": {
///           "held": 0,
///           ...
///         }
///       },
///       {
///         ...
///       }
///     ]
///
/// Strings, numbers, `null`, lists as `["a", "b"]` (`[]` when empty),
/// beancounters and quotas as nested objects.
enum ListJSONRenderer {
    /// Each field's `,\n    "name": ` prepared once per listing, not per value.
    struct Keys {
        let kinds: [FieldKind]
        let prefixes: [[UInt8]]

        init(_ fields: [ListField]) {
            kinds = fields.map(\.kind)
            prefixes = fields.enumerated().map { j, f in Array(((j == 0 ? "\n    \"" : ",\n    \"") + f.name + "\": ").utf8) }
        }
    }

    private static let openFirst = Array("\n  {".utf8)
    private static let openNext = Array(",\n  {".utf8)
    private static let close = Array("\n  }".utf8)

    static func object(_ e: ListEntry, _ keys: Keys, first: Bool, into out: inout [UInt8]) {
        out.append(contentsOf: first ? openFirst : openNext)
        for j in keys.kinds.indices {
            out.append(contentsOf: keys.prefixes[j])
            value(e, keys.kinds[j], into: &out)
        }
        out.append(contentsOf: close)
    }

    private static func null(_ out: inout [UInt8]) { out.append(contentsOf: "null".utf8) }

    /// held/maxheld/failcnt: 0 for a stopped container (4.x), the kernel's
    /// reading for a running one, null when there is none.
    private static func usage(_ e: ListEntry, _ bc: ListedBeancounter, _ c: BeancounterColumn, into out: inout [UInt8]) {
        if !e.isRunning {
            number(0, into: &out)
        } else if e.hasUsage(bc, c) {
            number(e.ubcValue(bc, c), into: &out)
        } else {
            null(&out)
        }
    }

    private static func string(_ s: String?, into out: inout [UInt8]) {
        if let s { ListFormat.jsonString(s, into: &out) } else { null(&out) }
    }

    private static func number(_ v: UInt64, into out: inout [UInt8]) { ListFormat.number(v, width: 0, into: &out) }

    private static func bool(_ b: Bool, into out: inout [UInt8]) { out.append(contentsOf: (b ? "true" : "false").utf8) }

    static func value(_ e: ListEntry, _ kind: FieldKind, into out: inout [UInt8]) {
        switch kind {
        case .ctid: number(UInt64(e.ctid), into: &out)
        case .privateArea: string(e.privatePath, into: &out)
        case .root: string(e.rootPath, into: &out)
        case .mountOpts: string(e.mountOpts, into: &out)
        case .originSample: string(e.originSample, into: &out)
        case .hostname: string(e.hostname, into: &out)
        case .name: string(e.name, into: &out)
        case .description: string(e.description, into: &out)
        case .ostemplate: string(e.ostemplate, into: &out)
        case .smartName:
            if let n = e.name { ListFormat.jsonString(n, into: &out) } else { number(UInt64(e.ctid), into: &out) }
        case .ip: list(e.ip, into: &out)
        case .nameserver: list(e.nameserver, into: &out)
        case .searchdomain: list(e.searchdomain, into: &out)
        case .status: ListFormat.jsonString(e.status.text, into: &out)
        case .beancounter(let bc, let col):
            guard col == .held else {
                // Suffixed fields are refused with -j before rendering.
                number(e.ubcValue(bc, col), into: &out)
                return
            }
            // Usage of a stopped container is 0, not null (4.x); that of a
            // running one without a kernel reading is null, not a made-up 0.
            out.append(contentsOf: UBCText.held)
            usage(e, bc, .held, into: &out)
            out.append(contentsOf: UBCText.maxheld)
            usage(e, bc, .maxheld, into: &out)
            out.append(contentsOf: UBCText.barrier)
            number(e.ubcValue(bc, .barrier), into: &out)
            out.append(contentsOf: UBCText.limit)
            number(e.ubcValue(bc, .limit), into: &out)
            out.append(contentsOf: UBCText.failcnt)
            usage(e, bc, .failcnt, into: &out)
            out.append(contentsOf: UBCText.end)
        case .diskspace(let col): quota(e, base: 0, col, into: &out)
        case .diskinodes(let col): quota(e, base: 3, col, into: &out)
        case .laverage:
            if let la = e.loadAverage {
                out.append(contentsOf: ListFormat.c("[%1.2f, %1.2f, %1.2f]", Double(Float(la.0)), Double(Float(la.1)), Double(Float(la.2))).utf8)
            } else {
                null(&out)
            }
        case .uptime:
            // A stopped container's is 0.000 (4.x printed 0. when unknown).
            if let up = e.uptime { out.append(contentsOf: ListFormat.c("%.3f", up).utf8) } else { out.append(contentsOf: zeroUptime) }
        case .cpulimit:
            if let c = e.cpu { number(c.limit, into: &out) } else { null(&out) }
        case .cpuunits:
            if let c = e.cpu { number(c.units, into: &out) } else { null(&out) }
        // Unset int settings print as 0 in JSON (4.x clamps -1 to 0).
        case .cpus: number(UInt64(max(e.cpus, 0)), into: &out)
        case .ioprio: number(UInt64(max(e.ioprio, 0)), into: &out)
        case .iolimit: number(UInt64(max(e.iolimit, 0)), into: &out)
        case .iopslimit: number(UInt64(max(e.iopslimit, 0)), into: &out)
        case .onboot:
            if let b = e.onboot { bool(b, into: &out) } else { null(&out) }
        case .bootorder:
            if let b = e.bootorder { number(b, into: &out) } else { null(&out) }
        case .layout: ListFormat.jsonString(e.layout.text, into: &out)
        case .features:
            var pairs: [(String, Bool)] = []
            for (bit, name) in ListValueParser.featureNames.enumerated() where e.features.known & (1 << bit) != 0 {
                pairs.append((name, e.features.mask & (1 << bit) != 0))
            }
            object(pairs, into: &out)
        case .vswap: bool(e.vswap, into: &out)
        case .disabled: bool(e.disabled, into: &out)
        case .vmOvercommit:
            if e.vmOvercommit == 0 {
                out.append(UInt8(ascii: "0"))
            } else {
                out.append(contentsOf: ListFormat.c("%g", Double(e.vmOvercommit)).utf8)
            }
        case .netfilter: string(e.netfilter, into: &out)
        case .capability: object(e.capabilities?.map { ($0.name, $0.on) } ?? [], into: &out)
        }
    }

    private static let zeroUptime = Array("0.000".utf8)

    private enum UBCText {
        static let held = Array("{\n      \"held\": ".utf8)
        static let maxheld = Array(",\n      \"maxheld\": ".utf8)
        static let barrier = Array(",\n      \"barrier\": ".utf8)
        static let limit = Array(",\n      \"limit\": ".utf8)
        static let failcnt = Array(",\n      \"failcnt\": ".utf8)
        static let end = Array("\n    }".utf8)
    }

    /// `print_json_list`: the space-separated items as strings.
    private static func list(_ value: String?, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        if var value {
            value.withUTF8 { u in
                var i = 0
                var first = true
                while i < u.count {
                    while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
                    let start = i
                    while i < u.count, u[i] != 0x20 && u[i] != 0x09 { i += 1 }
                    guard i > start else { break }
                    if !first { out.append(contentsOf: [UInt8(ascii: ","), 0x20]) }
                    ListFormat.jsonString(UnsafeBufferPointer(rebasing: u[start..<i]), into: &out)
                    first = false
                }
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func quota(_ e: ListEntry, base: Int, _ col: QuotaColumn, into out: inout [UInt8]) {
        guard let q = e.quota else { return null(&out) }
        guard col == .usage else { return number(q[base + col.rawValue], into: &out) }
        out.append(contentsOf: "{\n      \"usage\": ".utf8)
        number(q[base], into: &out)
        out.append(contentsOf: ",\n      \"softlimit\": ".utf8)
        number(q[base + 1], into: &out)
        out.append(contentsOf: ",\n      \"hardlimit\": ".utf8)
        number(q[base + 2], into: &out)
        out.append(contentsOf: "\n    }".utf8)
    }

    /// `print_json_features`: `{ "name": true, ... }`, or null when empty.
    private static func object(_ pairs: [(String, Bool)], into out: inout [UInt8]) {
        guard !pairs.isEmpty else { return null(&out) }
        for (i, p) in pairs.enumerated() {
            out.append(contentsOf: (i == 0 ? "{\n      " : ",\n      ").utf8)
            ListFormat.jsonString(p.0, into: &out)
            out.append(contentsOf: ": ".utf8)
            bool(p.1, into: &out)
        }
        out.append(contentsOf: "\n    }".utf8)
    }
}
