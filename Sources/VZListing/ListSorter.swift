/// `-s [-]field`. 4.x sorted with glibc's qsort, which for these sizes is a
/// stable merge sort that takes the left element unless the comparator
/// returns > 0; its comparators mostly return only 0/1 ("a > b"), so ties
/// keep CTID order. Reverse order walks the sorted list backwards (ties
/// reversed too), which is why `-s -bootorder` lists equal bootorders by
/// ascending CTID: the bootorder comparator breaks ties by descending CTID.
enum ListSorter {
    /// > 0 when `a` must come after `b`.
    typealias Compare = (ListEntry, ListEntry) -> Int

    /// The entries' indices in sorted order.
    static func order(_ entries: [ListEntry], by field: ListField?) -> [Int] {
        guard let field, let cmp = comparator(field.kind) else { return Array(entries.indices) }
        return mergeSort(entries, cmp)
    }

    /// nil for the fields 4.x did not sort by (its `none_sort_fn`): the list
    /// stays in CTID order.
    static func comparator(_ kind: FieldKind) -> Compare? {
        switch kind {
        case .ctid: return { gt($0.ctid, $1.ctid) }
        case .privateArea: return { strcmp($0.privatePath, $1.privatePath) }
        case .root: return { strcmp($0.rootPath, $1.rootPath) }
        case .mountOpts: return { strcmp($0.mountOpts, $1.mountOpts) }
        case .originSample: return { strcmp($0.originSample, $1.originSample) }
        case .hostname: return { strcmp($0.hostname, $1.hostname) }
        case .name, .smartName: return { strcmp($0.name, $1.name) }
        case .description: return { strcmp($0.description, $1.description) }
        case .ostemplate: return { strcmp($0.ostemplate, $1.ostemplate) }
        case .ip: return { strcmp($0.ip, $1.ip) }
        case .nameserver: return { strcmp($0.nameserver, $1.nameserver) }
        case .searchdomain: return { strcmp($0.searchdomain, $1.searchdomain) }
        case .status:
            return { a, b in
                let d = a.status.rawValue - b.status.rawValue
                return d != 0 ? d : gt(a.ctid, b.ctid)
            }
        case .beancounter(let bc, let col):
            // 4.x sorted `.b` by the limit and `.l` by the barrier (its sort
            // table has the two swapped); here each sorts by what it shows.
            return { gt($0.ubcValue(bc, col), $1.ubcValue(bc, col)) }
        case .diskspace(let col): return quota(base: 0, col)
        case .diskinodes(let col): return quota(base: 3, col)
        case .laverage:
            return { a, b in
                guard let x = a.loadAverage, let y = b.loadAverage else { return empty(a.loadAverage == nil, b.loadAverage == nil) }
                // C truncates the float difference ×100 to int: gaps under 0.01 tie.
                for (p, q) in [(x.0, y.0), (x.1, y.1), (x.2, y.2)] {
                    let d = Int((Float(p) - Float(q)) * 100)
                    if d != 0 { return d }
                }
                return 0
            }
        case .uptime:
            return { a, b in
                guard let x = a.uptime, let y = b.uptime else { return empty(a.uptime == nil, b.uptime == nil) }
                // Longest-running first, whole seconds.
                return Int((Float(y) - Float(x)).rounded(.towardZero))
            }
        case .cpulimit:
            return { a, b in
                guard let x = a.cpu, let y = b.cpu else { return empty(a.cpu == nil, b.cpu == nil) }
                return gt(x.limit, y.limit)
            }
        case .cpuunits:
            return { a, b in
                guard let x = a.cpu, let y = b.cpu else { return empty(a.cpu == nil, b.cpu == nil) }
                return gt(x.units, y.units)
            }
        case .cpus: return { gt($0.cpus, $1.cpus) }
        case .ioprio: return { gt($0.ioprio, $1.ioprio) }
        case .iolimit: return { gt($0.iolimit, $1.iolimit) }
        case .iopslimit: return { gt($0.iopslimit, $1.iopslimit) }
        case .bootorder:
            return { a, b in
                switch (a.bootorder, b.bootorder) {
                case (nil, nil): return gt(a.ctid, b.ctid) == 0 ? 1 : 0
                case (nil, _): return -1
                case (_, nil): return 1
                case let (x?, y?):
                    if x == y { return gt(a.ctid, b.ctid) == 0 ? 1 : 0 }
                    return gt(x, y)
                }
            }
        case .layout: return { gt($0.layout.rawValue, $1.layout.rawValue) }
        case .onboot, .features, .vswap, .disabled, .vmOvercommit, .netfilter, .capability:
            return nil
        }
    }

    private static func quota(base: Int, _ col: QuotaColumn) -> Compare {
        { a, b in
            guard let x = a.quota, let y = b.quota else { return empty(a.quota == nil, b.quota == nil) }
            return gt(x[base + col.rawValue], y[base + col.rawValue])
        }
    }

    @inline(__always) private static func gt<T: Comparable>(_ a: T, _ b: T) -> Int { a > b ? 1 : 0 }

    /// 4.x's `check_empty_param`: missing values sort first.
    @inline(__always) private static func empty(_ aMissing: Bool, _ bMissing: Bool) -> Int {
        if aMissing && bMissing { return 0 }
        return aMissing ? -1 : 1
    }

    /// strcmp over the bytes, missing first.
    private static func strcmp(_ a: String?, _ b: String?) -> Int {
        guard let a, let b else { return empty(a == nil, b == nil) }
        var i = a.utf8.makeIterator()
        var j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (x?, y?): if x != y { return Int(x) - Int(y) }
            }
        }
    }

    /// Stable top-down merge sort taking from the left run unless
    /// cmp(left, right) > 0, like glibc's msort.
    static func mergeSort(_ a: [ListEntry], _ cmp: Compare) -> [Int] {
        var idx = Array(0..<a.count)
        guard a.count > 1 else { return idx }
        var tmp = idx
        func sortRange(_ lo: Int, _ hi: Int) {
            guard hi - lo > 1 else { return }
            let mid = (lo + hi) / 2
            sortRange(lo, mid)
            sortRange(mid, hi)
            var i = lo, j = mid, k = lo
            while i < mid && j < hi {
                if cmp(a[idx[i]], a[idx[j]]) <= 0 { tmp[k] = idx[i]; i += 1 } else { tmp[k] = idx[j]; j += 1 }
                k += 1
            }
            while i < mid { tmp[k] = idx[i]; i += 1; k += 1 }
            while j < hi { tmp[k] = idx[j]; j += 1; k += 1 }
            for m in lo..<hi { idx[m] = tmp[m] }
        }
        sortRange(0, a.count)
        return idx
    }
}
