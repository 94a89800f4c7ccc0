/// An OpenVZ config file (`vz.conf`, `CTID.conf`, `ve-*.conf-sample`) kept as
/// its lines, so that rewriting one key leaves comments, order and keys we do
/// not know exactly as the admin wrote them (compat §2.1).
///
/// Reading follows vzctl's `parse_line`: blank and `#` lines are skipped, the
/// value runs to the last `"` of the line when quoted, and the FIRST of
/// duplicate keys wins (with a warning), although a shell sourcing the file
/// would take the last. Writing never produces duplicates.
public struct ConfigFile: Sendable, Equatable {
    public enum Line: Sendable, Equatable {
        /// `KEY="value"`; `raw` is the line as read, re-emitted untouched
        /// unless the key is changed.
        case assignment(key: String, value: String, raw: String)
        /// Comments, blank lines and anything vzctl would skip.
        case other(String)
    }

    public private(set) var lines: [Line]
    /// `(key, 1-based line number)` of every duplicate that was ignored.
    public private(set) var duplicates: [(key: String, line: Int)] = []
    private var index: [String: Int] = [:]

    public static func == (a: ConfigFile, b: ConfigFile) -> Bool { a.lines == b.lines }

    public init() { lines = [] }

    public init(text: String) {
        lines = []
        lines.reserveCapacity(64)
        // Split on the byte, not the Character: "\r\n" is one grapheme and
        // would otherwise glue a CRLF line to the next one.
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lines.append(ConfigFile.parseLine(Substring(raw)))
        }
        // A final newline yields one empty trailing element: drop it so that
        // render() gives back the same bytes.
        if text.utf8.last == 0x0A, case .other("")? = lines.last { lines.removeLast() }
        if text.isEmpty { lines = [] }
        reindex()
    }

    public init(bytes: [UInt8]) {
        self.init(text: String(decoding: bytes, as: UTF8.self))
    }

    /// The effective value of `key` (first occurrence), nil when absent.
    public func value(_ key: String) -> String? {
        guard let i = index[key], case .assignment(_, let v, _) = lines[i] else { return nil }
        return v
    }

    public subscript(key: String) -> String? { value(key) }

    /// Every key with its effective value, in file order.
    public var assignments: [(key: String, value: String)] {
        var seen = Set<String>()
        var out: [(String, String)] = []
        for case .assignment(let k, let v, _) in lines where seen.insert(k).inserted {
            out.append((k, v))
        }
        return out
    }

    public var keys: [String] { assignments.map(\.key) }

    /// Sets `key` to `value`: the line of the first occurrence is rewritten in
    /// place, later duplicates are dropped, and a new key is appended.
    /// Throws 21 for values that cannot be written safely (see `ConfigValue.checkWritable`).
    public mutating func set(_ key: String, _ value: String) throws(VZError) {
        try ConfigValue.checkKey(key)
        try ConfigValue.checkWritable(value, key: key)
        let line = Line.assignment(key: key, value: value, raw: "\(key)=\"\(value)\"")
        if let i = index[key] {
            if case .assignment(_, let old, _) = lines[i], old == value {
                // Unchanged, but the writer still never leaves duplicates behind.
                guard hasDuplicates(of: key) else { return }
            } else {
                lines[i] = line
            }
            removeDuplicates(of: key, keeping: i)
        } else {
            lines.append(line)
        }
        reindex()
    }

    /// Removes every line assigning `key`.
    public mutating func remove(_ key: String) {
        lines.removeAll { if case .assignment(key, _, _) = $0 { return true } else { return false } }
        reindex()
    }

    /// Whether a later line assigns `key` again (ignored on read).
    public func hasDuplicates(of key: String) -> Bool {
        duplicates.contains { $0.key == key }
    }

    /// vzctl's warnings for ignored duplicates, one per line, for a file
    /// read from `path`: `Warning at F:N: duplicate for X, ignored`.
    public func duplicateWarnings(path: String) -> [String] {
        duplicates.map { "Warning at \(path):\($0.line): duplicate for \($0.key), ignored" }
    }

    /// The file's bytes: untouched lines as read, changed ones as `KEY="value"`.
    public func render() -> String {
        var out = ""
        out.reserveCapacity(lines.count * 24)
        for line in lines {
            switch line {
            case .assignment(_, _, let raw): out += raw
            case .other(let raw): out += raw
            }
            out += "\n"
        }
        return out
    }

    // MARK: - Parsing

    static func parseLine(_ raw: Substring) -> Line {
        var s = raw[...]
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        guard let first = s.first, first != "#", let eq = s.firstIndex(of: "=") else {
            return .other(String(raw))
        }
        var key = s[..<eq]
        while let c = key.last, c == " " || c == "\t" { key.removeLast() }
        if key.hasPrefix("export ") { key = key.dropFirst(7) }
        guard ConfigValue.isValidKey(key) else { return .other(String(raw)) }
        var v = s[s.index(after: eq)...]
        while let c = v.first, c == " " || c == "\t" { v.removeFirst() }
        let value: Substring
        if v.first == "\"" {
            let body = v.dropFirst()
            // vzctl takes the value up to the LAST quote on the line.
            if let close = body.lastIndex(of: "\"") { value = body[..<close] } else { value = body }
        } else if v.first == "'" {
            let body = v.dropFirst()
            if let close = body.lastIndex(of: "'") { value = body[..<close] } else { value = body }
        } else {
            // Unquoted: what a shell would assign, i.e. up to whitespace.
            value = v.prefix { $0 != " " && $0 != "\t" }
        }
        return .assignment(key: String(key), value: String(value), raw: String(raw))
    }

    private mutating func removeDuplicates(of key: String, keeping keep: Int) {
        var i = lines.count - 1
        while i > keep {
            if case .assignment(key, _, _) = lines[i] { lines.remove(at: i) }
            i -= 1
        }
    }

    private mutating func reindex() {
        index.removeAll(keepingCapacity: true)
        duplicates.removeAll()
        for (i, line) in lines.enumerated() {
            guard case .assignment(let k, _, _) = line else { continue }
            if index[k] == nil { index[k] = i } else { duplicates.append((k, i + 1)) }
        }
    }
}

/// Rules for what may be written into a config file. The files are sourced
/// by shell scripts, so a value with `"`, `$`, a backquote, a backslash or a
/// line break would be code or a forged key (security guide §3.3).
public enum ConfigValue {
    public static let maxLength = 4096

    public static func isValidKey<S: StringProtocol>(_ key: S) -> Bool {
        guard let f = key.utf8.first, !(f >= 0x30 && f <= 0x39) else { return false }
        return key.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    public static func checkKey(_ key: String) throws(VZError) {
        guard isValidKey(key) else { throw VZError(.invalidValue, "Invalid config key '\(key)'") }
    }

    /// `$VEID` is the one expansion vzctl itself performs, in VE_ROOT and
    /// VE_PRIVATE; it is written literally so a sourcing shell expands it too.
    public static func checkWritable(_ value: String, key: String) throws(VZError) {
        if value.utf8.count > maxLength {
            throw VZError(.invalidValue, "Value for \(key) is too long (\(value.utf8.count) bytes, at most \(maxLength))")
        }
        var rest = value
        if key == "VE_ROOT" || key == "VE_PRIVATE" {
            rest = value.split(separator: "$VEID", omittingEmptySubsequences: false).joined()
        }
        for u in rest.unicodeScalars {
            switch u {
            case "\"", "$", "`", "\\":
                throw VZError(.invalidValue, "Invalid value for \(key): character '\(u)' is not allowed in a config value")
            case _ where u.value < 0x20 || u.value == 0x7F:
                throw VZError(.invalidValue, "Invalid value for \(key): control characters (newline, CR, tab...) are not allowed")
            default: continue
            }
        }
    }
}
