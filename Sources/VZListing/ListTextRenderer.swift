/// vzlist's column output: each cell printf-padded to its field's width
/// (numbers right-aligned, strings left-aligned), one space between cells,
/// trailing whitespace trimmed. Non-last string cells are cut to their
/// width, and list cells (ip, nameserver, searchdomain) show only their first
/// item, unless the cell is the last one or `-t` was given.
enum ListTextRenderer {
    static func header(_ fields: [ListField], into out: inout [UInt8]) {
        let start = out.count
        for (i, f) in fields.enumerated() {
            ListFormat.padded(f.header, width: f.headerWidth, into: &out)
            if i + 1 < fields.count { out.append(ListFormat.space) }
        }
        ListFormat.trimTrailingSpace(&out, from: start)
        out.append(0x0A)
    }

    static func row(_ e: ListEntry, _ fields: [ListField], trim: Bool, into out: inout [UInt8]) {
        let start = out.count
        for (i, f) in fields.enumerated() {
            // Without trimming 4.x treated every cell as the last one.
            let last = !trim || i + 1 == fields.count
            cell(e, f.kind, last: last, into: &out)
            if i + 1 < fields.count { out.append(ListFormat.space) }
        }
        ListFormat.trimTrailingSpace(&out, from: start)
        out.append(0x0A)
    }

    private static let dash = "-"

    static func cell(_ e: ListEntry, _ kind: FieldKind, last: Bool, into out: inout [UInt8]) {
        switch kind {
        case .ctid:
            ListFormat.number(UInt64(e.ctid), width: 10, into: &out)
        case .privateArea: ListFormat.cell(e.privatePath ?? dash, width: -32, last: last, into: &out)
        case .root: ListFormat.cell(e.rootPath ?? dash, width: -32, last: last, into: &out)
        case .mountOpts: ListFormat.cell(e.mountOpts ?? dash, width: -16, last: last, into: &out)
        case .originSample: ListFormat.cell(e.originSample ?? dash, width: -32, last: last, into: &out)
        case .hostname: ListFormat.cell(e.hostname ?? dash, width: -32, last: last, into: &out)
        case .name: ListFormat.cell(e.name ?? dash, width: -32, last: last, into: &out)
        case .description: ListFormat.cell(e.description ?? dash, width: -32, last: last, into: &out)
        case .ostemplate: ListFormat.cell(e.ostemplate ?? dash, width: -32, last: last, into: &out)
        case .smartName:
            // The name right-aligned in the CTID's 10 columns, else the CTID.
            if let n = e.name {
                ListFormat.cell(n, width: 10, last: last, into: &out)
            } else {
                ListFormat.number(UInt64(e.ctid), width: 10, into: &out)
            }
        case .ip: list(e.ip, last: last, into: &out)
        case .nameserver: list(e.nameserver, last: last, into: &out)
        case .searchdomain: list(e.searchdomain, last: last, into: &out)
        case .status:
            ListFormat.padded(e.status.text, width: -9, into: &out)
        case .beancounter(let bc, let col):
            // A stopped container has no usage, and a running one's is shown
            // only when read from the kernel: otherwise held, maxheld and
            // failcnt are `-`; barrier and limit come from the config.
            if !e.hasUsage(bc, col) && (col == .held || col == .maxheld || col == .failcnt) {
                ListFormat.padded(dash, width: 10, into: &out)
            } else {
                ListFormat.number(e.ubcValue(bc, col), width: 10, into: &out)
            }
        case .diskspace(let col): quota(e, base: 0, col, into: &out)
        case .diskinodes(let col): quota(e, base: 3, col, into: &out)
        case .laverage:
            if let la = e.loadAverage {
                out.append(contentsOf: ListFormat.c("%1.2f/%1.2f/%1.2f", Double(Float(la.0)), Double(Float(la.1)), Double(Float(la.2))).utf8)
            } else {
                ListFormat.padded(dash, width: 14, into: &out)
            }
        case .uptime:
            if let up = e.uptime {
                out.append(contentsOf: uptimeText(up).utf8)
            } else {
                ListFormat.padded(dash, width: 15, into: &out)
            }
        case .cpulimit:
            if let c = e.cpu { ListFormat.number(c.limit, width: 7, into: &out) } else { ListFormat.padded(dash, width: 7, into: &out) }
        case .cpuunits:
            if let c = e.cpu { ListFormat.number(c.units, width: 7, into: &out) } else { ListFormat.padded(dash, width: 7, into: &out) }
        case .cpus: intOrDash(e.cpus, minimum: 1, width: 5, into: &out)
        case .ioprio: intOrDash(e.ioprio, minimum: 0, width: 3, into: &out)
        case .iolimit: intOrDash(e.iolimit, minimum: 1, width: 10, into: &out)
        case .iopslimit: intOrDash(e.iopslimit, minimum: 1, width: 4, into: &out)
        case .onboot:
            ListFormat.padded(e.onboot.map { $0 ? "yes" : "no" } ?? dash, width: 6, into: &out)
        case .bootorder:
            if let b = e.bootorder { ListFormat.number(b, width: 10, into: &out) } else { ListFormat.padded(dash, width: 10, into: &out) }
        case .layout:
            ListFormat.padded(e.layout.text, width: -6, into: &out)
        case .features:
            ListFormat.cell(featuresText(e.features) ?? dash, width: -15, last: last, into: &out)
        case .vswap:
            ListFormat.padded(e.vswap ? "yes" : "no", width: 5, into: &out)
        case .disabled:
            ListFormat.padded(e.disabled ? "yes" : "no", width: 6, into: &out)
        case .vmOvercommit:
            if e.vmOvercommit == 0 {
                ListFormat.padded(dash, width: 6, into: &out)
            } else {
                out.append(contentsOf: ListFormat.c("%6g", Double(e.vmOvercommit)).utf8)
            }
        case .netfilter:
            ListFormat.cell(e.netfilter ?? dash, width: -9, last: last, into: &out)
        case .capability:
            let text = e.capabilities.map { $0.map { "\($0.name):\($0.on ? "on" : "off")" }.joined(separator: ",") }
            ListFormat.cell(text ?? dash, width: -15, last: last, into: &out)
        }
    }

    private static func list(_ value: String?, last: Bool, into out: inout [UInt8]) {
        guard var s = value else {
            ListFormat.padded(dash, width: -15, into: &out)
            return
        }
        if !last, let sp = s.firstIndex(of: " ") { s = String(s[..<sp]) }
        ListFormat.cell(s, width: -15, last: last, into: &out)
    }

    private static func quota(_ e: ListEntry, base: Int, _ col: QuotaColumn, into out: inout [UInt8]) {
        // Zero usage reads as "not measured".
        guard let q = e.quota, !(col == .usage && q[base] == 0) else {
            ListFormat.padded(dash, width: 10, into: &out)
            return
        }
        ListFormat.number(q[base + col.rawValue], width: 10, into: &out)
    }

    private static func intOrDash(_ v: Int, minimum: Int, width: Int, into out: inout [UInt8]) {
        if v < minimum { ListFormat.padded(dash, width: width, into: &out) } else { ListFormat.number(v, width: width, into: &out) }
    }

    /// `%.3dd%.2dh:%.2dm:%.2ds`.
    static func uptimeText(_ up: Double) -> String {
        let days = UInt32(clamping: Int(up / 86_400))
        let minutesTotal = UInt32(clamping: Int(up / 60))
        let hours = (minutesTotal / 60) % 24
        let minutes = minutesTotal % 60
        let secs = UInt32(clamping: Int(up - Double(60 * UInt64(minutes) + 3_600 * UInt64(hours) + 86_400 * UInt64(days))))
        return ListFormat.c("%.3ud%.2uh:%.2um:%.2us", days, hours, minutes, secs)
    }

    /// `features_mask2str` with "," into 4.x's 64-byte buffer; nil when no
    /// feature is set either way.
    static func featuresText(_ f: (mask: UInt32, known: UInt32)) -> String? {
        guard f.known != 0 else { return nil }
        var parts: [String] = []
        for (bit, name) in ListValueParser.featureNames.enumerated() where f.known & (1 << bit) != 0 {
            parts.append(name + (f.mask & (1 << bit) != 0 ? ":on" : ":off"))
        }
        let s = parts.joined(separator: ",")
        return s.utf8.count > 63 ? String(decoding: s.utf8.prefix(63), as: UTF8.self) : s
    }
}
