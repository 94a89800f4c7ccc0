import Glibc
import VZConfig

/// What vzubc's table shows and how (vzubc 4.x's options).
public struct UBCReportOptions: Sendable, Equatable {
    /// `-q`: only rows with fails or close to their barrier.
    public var quiet = false
    /// `-v`: rows with an unlimited barrier too, and every row's mechanism.
    public var verbose = false
    /// `-qh`/`-qm`: the held/barrier and maxheld/barrier ratios (or
    /// percentages, when above 1) from which a row counts as close.
    public var quietHeld = 0.5
    public var quietMaxheld = 0.8
    /// `-r`: failcnt relative to the previous run's.
    public var relative = false
    /// `-i`: the change of held since the previous run, in its own column.
    public var incremental = false
    /// `-c`: rows coloured by how close they are to their limits.
    public var color = false

    public init() {}
}

/// vzubc's human table, laid out as vzubc 4.x's awk printed it (so admins'
/// eyes and their `grep`s keep working):
///
///     ----------------------------------------------------------------
///     CT 101       | HELD Bar% Lim%| MAXH Bar% Lim%| BAR | LIM | FAIL
///     -------------+---------------+---------------+-----+-----+------
///          numproc|   12   5%   5%|   20   8%   8|  240|  240|     -
///     ----------------------------------------------------------------
///
/// Amounts are humanised (page rows in bytes), `-` is zero or unlimited,
/// as in 4.x. Two additions for rows read from cgroups, where not every
/// number exists: `n/a` for a number the kernel does not keep (no peak of
/// a memory.stat entry, no refusal count of an rlimit, nothing at all for
/// privvmpages), never a made-up 0; and a tag after the row: `not
/// enforced` for rows a stock kernel cannot limit, and with `-v` every
/// row's mechanism (`memory cgroup`, `pids cgroup`, `rlimit`, ...). Rows
/// read from an OpenVZ file (`-f`) print exactly as 4.x printed them.
public enum UBCReport {
    public struct Outcome: Sendable, Equatable {
        public var text: String
        /// Store entries to write for the next `-r`/`-i` run
        /// (`ubc.CTID.RESOURCE.failcnt` / `.held` → value).
        public var store: [String: UInt64]
    }

    static let colorHeader = "\u{1B}[1;32m"
    static let colorError = "\u{1B}[1;31m"
    static let colorWarning = "\u{1B}[1;33m"
    static let colorNormal = "\u{1B}[0;39m"

    /// `previous` gives the stored value of a key of an earlier run.
    public static func render(_ blocks: [UBCBlock], _ o: UBCReportOptions,
                              previous: @escaping (String) -> UInt64? = { _ in nil }) throws(UBCError) -> Outcome {
        var table = Table(o, previous: previous)
        for block in blocks {
            if block.id == nil && (o.relative || o.incremental) && !block.rows.isEmpty {
                throw UBCError("Error: can not use relative/incremental modes: BCID is unknown")
            }
            table.start(block)
            for row in block.rows { table.add(row) }
        }
        return table.finish()
    }

    /// One run of the table: its settings and what it printed so far.
    private struct Table {
        let o: UBCReportOptions
        let previous: (String) -> UInt64?
        /// `-qh`/`-qm` as ratios; held's never above maxheld's (4.x).
        let qheld: Double
        let qmaxheld: Double
        let colors: (header: String, error: String, warning: String, normal: String)
        let rule: String
        var out = ""
        var store: [String: UInt64] = [:]
        /// The current block's header, until its first row is printed.
        var header: String?
        var block: Int64?
        var printed = false

        init(_ o: UBCReportOptions, previous: @escaping (String) -> UInt64?) {
            self.o = o
            self.previous = previous
            let h = o.quietHeld > 1 ? o.quietHeld / 100 : o.quietHeld
            qmaxheld = o.quietMaxheld > 1 ? o.quietMaxheld / 100 : o.quietMaxheld
            qheld = min(h, qmaxheld)
            colors = o.color ? (colorHeader, colorError, colorWarning, colorNormal) : ("", "", "", "")
            rule = String(repeating: "-", count: 64) + (o.incremental ? "-------" : "")
        }

        /// A block's header is printed only once one of its rows is.
        mutating func start(_ b: UBCBlock) {
            let inc = o.incremental
            block = b.id
            header = colors.header + rule + "\n"
                + "CT " + padRight(b.id.map { String($0) } ?? "-1", 10) + "| HELD" + (inc ? "  +/-  " : "")
                + " Bar% Lim%| MAXH Bar% Lim%| BAR | LIM |" + (o.relative ? "+" : " ") + "FAIL\n"
                + "-------------+-" + (inc ? "-------" : "") + "--------------+---------------+-----+-----+------"
                + colors.normal + "\n"
        }

        mutating func add(_ row: UBCRow) {
            let key = "ubc.\(block ?? -1).\(row.name)"
            var failcnt = row.failcnt
            if o.relative, let now = row.failcnt, now > 0, let before = previous(key + ".failcnt"), before > 0 {
                // A counter below the stored one was reset (the VPS restarted).
                failcnt = now >= before ? now - before : now
            }
            var delta = ""
            var changed = false
            var saveHeld = o.incremental && row.held != nil
            if o.incremental {
                delta = "       "
                // No stored value (a first run) shows no change, where 4.x's
                // awk showed the whole held value as one.
                if let held = row.held, let before = previous(key + ".held") {
                    if held != before {
                        changed = true
                        let d = held > before ? held - before : before - held
                        delta = pad((held > before ? "+" : "-") + amount(d, pages: row.isPages), 7)
                    } else {
                        saveHeld = false
                    }
                }
            }
            let imp = importance(row, failcnt: failcnt, qheld, qmaxheld)
            if ((o.quiet && imp == 0) || (!o.verbose && isUnlimited(row.barrier))) && !changed { return }

            if let h = header {
                if printed { out += "\n" }
                out += h
                printed = true
                header = nil
            }
            let pages = row.isPages
            out += imp == 2 ? colors.error : imp == 1 ? colors.warning : colors.normal
            out += pad(row.name, 13) + "|" + pad(amount(row.held, pages: pages), 5) + delta
                + " " + pad(percent(row.held, row.barrier), 4) + " " + pad(percent(row.held, row.limit), 4)
                + "|" + pad(amount(row.maxheld, pages: pages), 5)
                + " " + pad(percent(row.maxheld, row.barrier), 4) + " " + pad(percent(row.maxheld, row.limit), 4)
                + "|" + pad(amount(row.barrier, pages: pages), 5) + "|" + pad(amount(row.limit, pages: pages), 5)
                + "| " + pad(amount(failcnt, pages: false), 5)
            if let e = row.enforcement, o.verbose || !e.isEnforced { out += "  " + e.label }
            // 4.x's colour reset comes after the newline.
            out += "\n" + colors.normal
            // Only shown rows are stored, as in 4.x.
            if o.relative, let now = row.failcnt, now > 0 { store[key + ".failcnt"] = now }
            if saveHeld, let held = row.held { store[key + ".held"] = held }
        }

        func finish() -> Outcome {
            Outcome(text: printed ? out + rule + "\n" : out, store: store)
        }
    }

    /// 2: failing or over the barrier, 1: close to it, 0: neither (`-q`
    /// shows 1 and 2; `-c` colours them yellow and red).
    static func importance(_ r: UBCRow, failcnt: UInt64?, _ qheld: Double, _ qmaxheld: Double) -> Int {
        if let f = failcnt, f > 0 { return 2 }
        let barrier = Double(r.barrier == 0 ? r.limit : r.barrier)
        let held = Double(r.held ?? 0), maxheld = Double(r.maxheld ?? 0)
        if held > barrier { return 2 }
        if held > barrier * qheld || maxheld > barrier * qmaxheld { return 1 }
        return 0
    }

    /// LONG_MAX or the 32-bit kernels' INT_MAX, compared as awk compares
    /// (doubles), so 4.x's readings of the same file agree.
    static func isUnlimited(_ v: UInt64) -> Bool {
        let d = Double(v)
        return d == Double(ScaledNumber.unlimited) || d == 2_147_483_647
    }

    /// vzubc's `hr()`: `-` for 0 and unlimited; pages shown as bytes; K, M,
    /// G, ... with three significant digits below 100.
    static func amount(_ v: UInt64?, pages: Bool) -> String {
        guard let v else { return "n/a" }
        if v == 0 || isUnlimited(v) { return "- " }
        var d = Double(v)
        var unit = 0
        if pages {
            d *= 4
            unit = 1
        }
        while d >= 1024 {
            d /= 1024
            unit += 1
        }
        let suffix = Array(" KMGTPEZY")[min(unit, 8)]
        return (d < 100 ? format("%.3g", d) : String(Int(d))) + String(suffix)
    }

    /// vzubc's `dp()`: p as a percentage of d; `-` when d is 0 or unlimited
    /// or the result rounds to 0. 4.x's awk compared the `%.1f` text with
    /// 10 as strings, so `%.1g` is used for texts sorting before "10"
    /// (0.0 to 1.9) and `%d` above; kept, so percentages read the same.
    static func percent(_ p: UInt64?, _ d: UInt64) -> String {
        if d == 0 || isUnlimited(d) { return "- " }
        guard let p else { return "n/a" }
        let text = format("%.1f", Double(p) / Double(d) * 100)
        let value = Double(text) ?? 0
        let shown = text < "10" ? format("%.1g", value) : String(Int(value))
        return shown == "0" ? "- " : shown + "%"
    }

    static func pad(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    static func padRight(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    static func format(_ f: String, _ v: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([v]) { va in buf.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, f, va) } }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
