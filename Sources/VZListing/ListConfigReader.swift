import VZConfig

/// A read-only, byte-level reading of a config file into `KEY → value`,
/// with exactly `ConfigFile`'s rules (vzctl's `parse_line`: blank and `#`
/// lines skipped, optional `export `, value up to the last quote when
/// quoted, up to whitespace when not, first of duplicate keys wins).
///
/// `ConfigFile` keeps every line for rewriting; listing 1,000 containers
/// only needs the values, and building them from bytes instead of
/// Character-splitting the text is what keeps `vzlist -a` in a few
/// milliseconds. Tests hold the two readers to the same answers.
public enum ListConfigReader {
    /// Every key, or only those in `keys` (the others are not kept).
    public static func values(_ bytes: [UInt8], keys: Set<String>? = nil) -> [String: String] {
        bytes.withUnsafeBufferPointer { values($0, keys: keys.map(KeyFilter.init)) }
    }

    /// A key set matched on raw bytes, so unwanted lines cost neither a
    /// String nor a hash (they are most lines of a config when listing a
    /// few columns).
    public struct KeyFilter: Sendable {
        /// Wanted keys by length.
        private let byLength: [[(bytes: [UInt8], key: String, index: Int)]]
        let count: Int

        public init(_ keys: Set<String>) {
            var t = [[(bytes: [UInt8], key: String, index: Int)]](repeating: [], count: 65)
            for k in keys where k.utf8.count < t.count {
                t[k.utf8.count].append((Array(k.utf8), k, ListConfigKey(k)?.index ?? -1))
            }
            byLength = t
            count = keys.count
        }

        /// Every key vzlist reads.
        public static let listed = KeyFilter(Set(ListConfigKey.names))

        func match(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> (key: String, index: Int)? {
            let n = e - s
            guard n < byLength.count else { return nil }
            for c in byLength[n] where c.bytes[0] == b[s] {
                var k = 1
                while k < n, c.bytes[k] == b[s + k] { k += 1 }
                if k == n { return (c.key, c.index) }
            }
            return nil
        }
    }


    public static func values(_ b: UnsafeBufferPointer<UInt8>, keys: KeyFilter?) -> [String: String] {
        var d: [String: String] = [:]
        d.reserveCapacity(keys?.count ?? 48)
        forEachLine(b) { s, e in
            guard let a = assignment(b, s, e, keys: keys), d[a.key] == nil else { return }
            d[a.key] = String(decoding: UnsafeBufferPointer(rebasing: b[a.value]), as: UTF8.self)
        }
        return d
    }

    /// The listed keys of a config (those in `keys`, default all vzlist
    /// reads), straight into a `ListConfig`.
    public static func table(_ b: UnsafeBufferPointer<UInt8>, keys: KeyFilter = .listed) -> ListConfig {
        var t = ListConfig()
        forEachLine(b) { s, e in
            guard let a = assignment(b, s, e, keys: keys), a.index >= 0, t.values[a.index] == nil else { return }
            t.values[a.index] = String(decoding: UnsafeBufferPointer(rebasing: b[a.value]), as: UTF8.self)
        }
        return t
    }

    @inline(__always)
    private static func forEachLine(_ b: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        var lineStart = 0
        let n = b.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n, b[lineEnd] != 0x0A { lineEnd += 1 }
            body(lineStart, lineEnd)
            lineStart = lineEnd + 1
        }
    }

    @inline(__always) private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// One line's `KEY=value`: the key (nil for lines vzctl skips and for
    /// keys not in `keys`), its `ListConfigKey` index (-1 if none) and the
    /// value's byte range.
    private static func assignment(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, keys: KeyFilter?
    ) -> (key: String, index: Int, value: Range<Int>)? {
        var s = start
        var e = end
        while s < e, isBlank(b[s]) || b[s] == 0x0D { s += 1 }
        while e > s, isBlank(b[e - 1]) || b[e - 1] == 0x0D { e -= 1 }
        guard s < e, b[s] != UInt8(ascii: "#") else { return nil }
        var eq = s
        while eq < e, b[eq] != UInt8(ascii: "=") { eq += 1 }
        guard eq < e else { return nil }
        var ks = s
        var ke = eq
        while ke > ks, isBlank(b[ke - 1]) { ke -= 1 }
        if ke - ks > 7, b[ks] == UInt8(ascii: "e"), isExport(b, ks) { ks += 7 }
        guard ke > ks, isValidKey(b, ks, ke) else { return nil }
        let key: String
        let index: Int
        if let keys {
            guard let k = keys.match(b, ks, ke) else { return nil }
            (key, index) = k
        } else {
            key = String(decoding: UnsafeBufferPointer(rebasing: b[ks..<ke]), as: UTF8.self)
            index = -1
        }
        var vs = eq + 1
        while vs < e, isBlank(b[vs]) { vs += 1 }
        var ve = e
        if vs < e, b[vs] == UInt8(ascii: "\"") || b[vs] == UInt8(ascii: "'") {
            let q = b[vs]
            vs += 1
            // vzctl takes the value up to the LAST quote on the line.
            var last = e - 1
            while last >= vs, b[last] != q { last -= 1 }
            ve = last >= vs ? last : e
        } else {
            ve = vs
            while ve < e, !isBlank(b[ve]) { ve += 1 }
        }
        return (key, index, vs..<ve)
    }

    private static func isExport(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let word: [UInt8] = Array("export ".utf8)
        for (k, c) in word.enumerated() where b[i + k] != c { return false }
        return true
    }

    /// `ConfigValue.isValidKey`: `[A-Za-z_][A-Za-z0-9_]*`.
    private static func isValidKey(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        if b[s] >= 0x30 && b[s] <= 0x39 { return false }
        for i in s..<e {
            let c = b[i]
            let ok = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
            if !ok { return false }
        }
        return true
    }

    /// `$VEID`/`${VEID}` substituted and trailing slashes dropped, as
    /// vzctl 4.x's `subst_VEID` does for VE_ROOT and VE_PRIVATE. Only the
    /// dropping is the listing's: `EffectiveConfig` needs none, since `set`
    /// writes these paths normalised, but hand-written configs reach vzlist.
    public static func substituteVEID(_ value: String, _ ctid: ContainerID) -> String {
        let s = EffectiveConfig.substituteVEID(value, ctid)
        let u = s.utf8
        var end = u.endIndex
        while u.distance(from: u.startIndex, to: end) > 1, u[u.index(before: end)] == UInt8(ascii: "/") {
            end = u.index(before: end)
        }
        return end == u.endIndex ? s : String(s[..<end])
    }
}
