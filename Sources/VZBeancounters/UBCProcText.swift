import VZConfig

/// The OpenVZ kernel's text formats (kernel/bc/proc.c, 64-bit), printed
/// from cgroup readings for scripts written against them, and parsed back
/// (`vzubc -f`, also from a real OpenVZ node).
///
/// - `/proc/user_beancounters`: `Version: 2.5`, the column header, then per
///   container the 24 rows of UB_RESOURCES_COMPAT, dummies included, the
///   uid column (`101:`) on its first row only; no swappages.
/// - `/proc/bc/resources`: the same header; no dummies, swappages last.
/// - `/proc/bc/CTID/resources`: one container's rows as in bc/resources,
///   no header, the uid column blank.
///
/// These are machine formats: every reader (vzubc's awk, monitoring
/// plugins, `awk '{s+=$NF}'`) takes each column as an unsigned number, so
/// a number the kernel does not keep is printed as 0, never as `-` or a
/// guess; barrier and limit are always real (configured or the kernel's).
/// The human table, `-v` and `-j` say which zeros mean "not measured".
public enum UBCProcText {
    /// UB_RESOURCES_COMPAT; nil is a dummy row.
    static let compatOrder: [String?] = [
        "kmemsize", "lockedpages", "privvmpages", "shmpages", nil, "numproc", "physpages", "vmguarpages",
        "oomguarpages", "numtcpsock", "numflock", "numpty", "numsiginfo", "tcpsndbuf", "tcprcvbuf",
        "othersockbuf", "dgramrcvbuf", "numothersock", "dcachesize", "numfile", nil, nil, nil, "numiptent",
    ]

    /// `Version: 2.5` and `"%10s  %-12s %20s %20s %20s %20s %20s\n"`.
    public static func header() -> String {
        "Version: 2.5\n" + fields("uid", "resource", ["held", "maxheld", "barrier", "limit", "failcnt"])
    }

    /// `/proc/user_beancounters`.
    public static func userBeancounters(_ blocks: [UBCBlock]) -> String {
        var out = header()
        for b in blocks {
            var first = true
            for name in compatOrder {
                guard let name else {
                    // The kernel prints dummies with 0 usage and its default
                    // (unlimited) barrier and limit.
                    out += line(uid: "", "dummy", 0, 0, ScaledNumber.unlimited, ScaledNumber.unlimited, 0)
                    continue
                }
                guard let r = b.rows.first(where: { $0.name == name }) else { continue }
                out += row(r, uid: first ? uid(b) : "")
                first = false
            }
        }
        return out
    }

    /// `/proc/bc/resources`.
    public static func bcResources(_ blocks: [UBCBlock]) -> String {
        var out = header()
        for b in blocks {
            for (i, r) in b.rows.enumerated() { out += row(r, uid: i == 0 ? uid(b) : "") }
        }
        return out
    }

    /// `/proc/bc/CTID/resources`.
    public static func ctResources(_ block: UBCBlock) -> String {
        block.rows.map { row($0, uid: "") }.joined()
    }

    static func uid(_ b: UBCBlock) -> String { b.id.map { "\($0):" } ?? "" }

    static func row(_ r: UBCRow, uid: String) -> String {
        line(uid: uid, r.name, r.held ?? 0, r.maxheld ?? 0, r.barrier, r.limit, r.failcnt ?? 0)
    }

    /// `"%10s  %-12s %20lu %20lu %20lu %20lu %20lu\n"`.
    static func line(uid: String, _ name: String, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ e: UInt64) -> String {
        fields(uid, name, [a, b, c, d, e].map { String($0) })
    }

    static func fields(_ uid: String, _ name: String, _ columns: [String]) -> String {
        var out = pad(uid, 10) + "  " + name
        if name.utf8.count < 12 { out += String(repeating: " ", count: 12 - name.utf8.count) }
        for v in columns { out += " " + pad(v, 20) }
        return out + "\n"
    }

    /// Right-aligned in `width` (printf's `%Ns`; longer text is kept whole).
    static func pad(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    // MARK: - parsing

    /// Blocks from any of the three texts (64- or 32-bit widths, any
    /// spacing), as vzubc 4.x's awk read them: a `Version:` other than 2.5
    /// is refused, the header and dummies are skipped, `101:` starts a
    /// container, rows before any uid belong to an unnamed one (a
    /// `/proc/bc/CTID/resources` text). Stricter than awk where awk would
    /// silently read garbage as 0: a row must have five numbers.
    public static func parse(_ text: String) throws(UBCError) -> [UBCBlock] {
        var blocks: [UBCBlock] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var f = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = f.first else { continue }
            if first == "Version:" {
                let v = f.count > 1 ? String(f[1]) : ""
                guard v == "2.5" else { throw UBCError("Error: unknown version: \(v)") }
                continue
            }
            if first == "uid" { continue }
            if let colon = first.firstIndex(of: ":"), let id = Int64(first[..<colon]) {
                // `101:` then the row; some tools print `101:kmemsize`.
                let rest = first[first.index(after: colon)...]
                f.removeFirst()
                if !rest.isEmpty { f.insert(rest, at: 0) }
                blocks.append(UBCBlock(id: id, rows: []))
                guard !f.isEmpty else { continue }
            }
            // A name is a store file name for -r/-i: [a-z][a-z0-9_]* only.
            guard let name = f.first, name.utf8.first.map({ $0 >= 0x61 && $0 <= 0x7A }) == true,
                  name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
                throw UBCError("Error: line \(n + 1) is not a beancounter row: \(raw)")
            }
            guard f.count == 6, let v = Optional(f[1...].compactMap { UInt64($0) }), v.count == 5 else {
                throw UBCError("Error: line \(n + 1) does not have five numbers: \(raw)")
            }
            if name == "dummy" { continue }
            if blocks.isEmpty { blocks.append(UBCBlock(id: nil, rows: [])) }
            blocks[blocks.count - 1].rows.append(UBCRow(
                name: String(name), held: v[0], maxheld: v[1], barrier: v[2], limit: v[3], failcnt: v[4]))
        }
        return blocks
    }
}

/// A vzubc error: the message, exit status 1.
public struct UBCError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
