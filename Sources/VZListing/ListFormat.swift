import Glibc

/// printf-style building blocks over a byte buffer. vzlist's output is
/// printf widths measured in bytes, so rendering works on bytes, which is
/// also what keeps 1,000 rows cheap (no String interpolation per cell).
enum ListFormat {
    static let space = UInt8(ascii: " ")

    /// `%Ns` (right-aligned) / `%-Ns` (left-aligned, negative width).
    @inline(__always)
    static func padded<C: Collection>(_ s: C, width: Int, into out: inout [UInt8]) where C.Element == UInt8 {
        let n = s.count
        let w = abs(width)
        if width > 0, n < w { out.append(contentsOf: repeatElement(space, count: w - n)) }
        out.append(contentsOf: s)
        if width < 0, n < w { out.append(contentsOf: repeatElement(space, count: w - n)) }
    }

    static func padded(_ s: String, width: Int, into out: inout [UInt8]) {
        padded(s.utf8, width: width, into: &out)
    }

    /// A cell that occupies exactly `width` bytes unless it is the last one:
    /// 4.x printed the whole string and then advanced its cursor by the
    /// width only, so the next column overwrote the rest. The cut backs off
    /// to a UTF-8 boundary and pads, so a multi-byte name never yields
    /// invalid UTF-8 (4.x could split a character).
    static func cell(_ s: String, width: Int, last: Bool, into out: inout [UInt8]) {
        let u = s.utf8
        let w = abs(width)
        if last || u.count <= w {
            padded(u, width: width, into: &out)
            return
        }
        var end = u.index(u.startIndex, offsetBy: w)
        while end > u.startIndex, (u[end] & 0xC0) == 0x80 { end = u.index(before: end) }
        let cut = u[u.startIndex..<end]
        if width > 0 {
            out.append(contentsOf: repeatElement(space, count: w - cut.count))
            out.append(contentsOf: cut)
        } else {
            out.append(contentsOf: cut)
            out.append(contentsOf: repeatElement(space, count: w - cut.count))
        }
    }

    /// `%Nlu`.
    @inline(__always)
    static func number(_ v: UInt64, width: Int, into out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no allocation
        withUnsafeMutableBytes(of: &digits) { buf in
            var v = v
            var i = buf.count
            repeat {
                i -= 1
                buf[i] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
            } while v > 0
            let len = buf.count - i
            if width > len { out.append(contentsOf: repeatElement(space, count: width - len)) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[i...]))
        }
    }

    /// `%Nd`.
    static func number(_ v: Int, width: Int, into out: inout [UInt8]) {
        if v >= 0 {
            number(UInt64(v), width: width, into: &out)
        } else {
            padded(String(v), width: width, into: &out)
        }
    }

    /// Drops trailing whitespace back to `start` (4.x's `trim_eol_space`,
    /// which uses isspace()).
    static func trimTrailingSpace(_ out: inout [UInt8], from start: Int) {
        while out.count > start, let c = out.last, c == 0x20 || (c >= 0x09 && c <= 0x0D) {
            out.removeLast()
        }
    }

    /// One printf conversion for the rare floating-point cells (load
    /// average, uptime, vm_overcommit), whose exact `%g`/`%.2f` rounding is
    /// easiest to get from the C library itself.
    static func c(_ format: String, _ args: CVarArg...) -> String {
        var buf = [CChar](repeating: 0, count: 128)
        _ = withVaList(args) { va in
            buf.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, va) }
        }
        return cString(buf)
    }

    /// The text of a NUL-terminated C buffer.
    static func cString(_ buf: [CChar]) -> String {
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// JSON string literal. 4.x printed `"%s"` raw; escaping changes nothing
    /// for any value vzctl itself writes and keeps hand-edited values with a
    /// quote or backslash from breaking the document.
    static func jsonString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { jsonString($0, into: &out) }
    }

    static func jsonString(_ s: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape, one copy.
        if !s.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: s)
            out.append(UInt8(ascii: "\""))
            return
        }
        for c in s {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
