import VZConfig

/// What one extraction did.
public struct ExtractStats: Sendable, Equatable {
    /// Archive members read, skipped ones included.
    public var entries: UInt64 = 0
    /// Sum of member sizes (what the byte budget counts).
    public var bytes: UInt64 = 0
    /// Block/char device nodes (and sockets) left out.
    public var skipped: UInt64 = 0
    /// Non-fatal libarchive warnings (ARCHIVE_WARN) printed on stderr.
    public var warnings: UInt64 = 0

    public init(entries: UInt64 = 0, bytes: UInt64 = 0, skipped: UInt64 = 0, warnings: UInt64 = 0) {
        self.entries = entries
        self.bytes = bytes
        self.skipped = skipped
        self.warnings = warnings
    }
}

/// The worker's answer on the result pipe: one small text record written
/// with a single write(2) just before the worker exits. Strings are
/// hex-encoded because a path from a template may be any bytes, newlines
/// included.
///
///     vzextract 1
///     ok 1 | ok 0
///     entries N / bytes N / skipped N / warnings N      (ok 1)
///     code N / errno N / path HEX / message HEX         (ok 0)
///     end
public enum ExtractReport {
    public enum Outcome: Equatable, Sendable {
        case success(ExtractStats)
        case failure(code: Int32, errno: Int32?, path: [UInt8]?, message: String)
    }

    static let magic = "vzextract 1"
    /// Keeps the record under PIPE_BUF, so the one write is atomic.
    static let maxField = 900

    public static func encode(_ outcome: Outcome) -> [UInt8] {
        var lines = [magic]
        switch outcome {
        case .success(let s):
            lines += ["ok 1", "entries \(s.entries)", "bytes \(s.bytes)", "skipped \(s.skipped)", "warnings \(s.warnings)"]
        case .failure(let code, let errno, let path, let message):
            lines += ["ok 0", "code \(code)"]
            if let errno { lines.append("errno \(errno)") }
            if let path { lines.append("path " + hex(Array(path.prefix(maxField)))) }
            lines.append("message " + hex(Array(message.utf8.prefix(maxField))))
        }
        lines.append("end")
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// nil for anything but one complete, well-formed record.
    public static func decode(_ bytes: [UInt8]) -> Outcome? {
        let text = String(decoding: bytes, as: UTF8.self)
        var fields: [String: String] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == magic, lines.count >= 3, lines[lines.count - 2] == "end", lines.last == "" else { return nil }
        for line in lines[1..<(lines.count - 2)] {
            guard let sp = line.firstIndex(of: " ") else { return nil }
            fields[String(line[..<sp])] = String(line[line.index(after: sp)...])
        }
        func num(_ k: String) -> UInt64? { fields[k].flatMap { UInt64($0) } }
        switch fields["ok"] {
        case "1":
            guard let e = num("entries"), let b = num("bytes"), let s = num("skipped"), let w = num("warnings") else { return nil }
            return .success(ExtractStats(entries: e, bytes: b, skipped: s, warnings: w))
        case "0":
            guard let c = fields["code"].flatMap({ Int32($0) }), let m = fields["message"].flatMap(unhex) else { return nil }
            let errno = fields["errno"].flatMap { Int32($0) }
            let path = fields["path"].flatMap(unhex)
            return .failure(code: c, errno: errno, path: path, message: String(decoding: m, as: UTF8.self))
        default:
            return nil
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)

    public static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// A member name for a message: invalid UTF-8 and control characters
/// (a newline in a name must not forge a second message line) are escaped,
/// and a very long name is shortened in the middle.
public func display(_ name: [UInt8]) -> String {
    if name.count > 200 {
        return display(Array(name.prefix(80))) + "…(\(name.count) bytes)…" + display(Array(name.suffix(80)))
    }
    func escaped(_ v: UInt32) -> String { "\\x" + ExtractReport.hex([UInt8(truncatingIfNeeded: v)]) }
    var out = ""
    guard let text = String(validating: name, as: UTF8.self) else {
        for b in name {
            if b >= 0x80 || b < 0x20 || b == 0x7f { out += escaped(UInt32(b)) } else { out.unicodeScalars.append(Unicode.Scalar(b)) }
        }
        return out
    }
    for u in text.unicodeScalars {
        if u.value < 0x20 || u.value == 0x7f { out += escaped(u.value) } else { out.unicodeScalars.append(u) }
    }
    return out
}
