import Glibc
import VZConfig

/// What to print, from vzlist's options.
public struct ListQuery: Sendable {
    /// Columns in order; nil only for -j without -o, meaning every
    /// unsuffixed field in table order.
    public var fields: [ListField]?
    /// `-s`; nil (or ctid) keeps CTID order.
    public var sortField: ListField?
    public var reverse = false
    public var header = true
    public var trim = true
    public var json = false
    /// `-S`: hide running containers.
    public var stoppedOnly = false
    /// fnmatch(3) patterns of -h, -N, -d.
    public var hostnamePattern: String?
    public var namePattern: String?
    public var descriptionPattern: String?

    public init(fields: [ListField]? = nil) { self.fields = fields }

    /// 4.x's `build_field_order`: a comma list of field names (the default
    /// columns when nil, every field for JSON). Errors are vzlist's exit-1
    /// messages.
    public static func fields(from spec: String?, json: Bool) throws(VZError) -> [ListField]? {
        guard let spec = spec ?? (json ? nil : ListField.defaultFields) else { return nil }
        let u = Array(spec.utf8)
        var out: [ListField] = []
        var start = 0
        // A do-while, as in 4.x: an empty spec is one empty (unknown) name,
        // a trailing comma ends the list.
        repeat {
            var end = start
            while end < u.count, u[end] != UInt8(ascii: ",") { end += 1 }
            if end - start >= 31 {
                throw listError("Invalid field: " + String(decoding: u[start...], as: UTF8.self))
            }
            let name = String(decoding: u[start..<end], as: UTF8.self)
            start = end + 1
            guard let f = ListField.named(name) else { throw listError("Unknown field: \(name)") }
            if json && f.isSuffixed { throw listError("Field `\(name)' is not available in JSON output") }
            out.append(f)
        } while start < u.count
        return out
    }

    /// The columns actually printed.
    var effectiveFields: [ListField] {
        fields ?? ListField.all.filter { !$0.isSuffixed }
    }

    /// Every field kind the output reads: columns, sort key, filters.
    var readKinds: [FieldKind] {
        var kinds = effectiveFields.map(\.kind)
        if let s = sortField { kinds.append(s.kind) }
        if hostnamePattern != nil { kinds.append(.hostname) }
        if namePattern != nil { kinds.append(.name) }
        if descriptionPattern != nil { kinds.append(.description) }
        return kinds
    }
}

/// vzlist exits 1 on every failure of its own (it does not use vzctl's
/// table), which is the raw value of `setUBC` in ExitCode.
func listError(_ message: String) -> VZError { VZError(.setUBC, message) }

/// The pure half of vzlist: records in, output bytes out.
public enum Listing {
    /// Filters, sorts and renders. Stopped containers whose private area is
    /// missing are left out silently, as are those not matching -h/-N/-d,
    /// and running ones under -S.
    ///
    /// `sink`, when given, receives the output in pieces of about 64 KiB
    /// (and must empty the buffer), so `vzlist -a -j` over 1,000
    /// containers streams instead of building megabytes; what is left is
    /// returned.
    public static func render(
        _ records: [ListRecord], query: ListQuery, hostCPUs: Int = 1, sink: ((inout [UInt8]) -> Void)? = nil
    ) -> [UInt8] {
        let fields = query.effectiveFields
        let needs = ListEntry.Needs(kinds: query.readKinds)
        var ordered = records
        if !isSortedByID(ordered) { ordered.sort { $0.ctid < $1.ctid } }
        let entries = ordered.map { ListEntry($0, needs: needs, hostCPUs: hostCPUs) }
        // 4.x sorts before hiding; with a stable sort that only matters for
        // keeping its exact tie order, so do the same.
        var order = ListSorter.order(entries, by: query.sortField)
        if query.reverse { order.reverse() }

        let chunk = 65_536
        var out: [UInt8] = []
        out.reserveCapacity(sink == nil ? 128 + (entries.count + 1) * 16 * fields.count : chunk + 8_192)
        func flush() {
            if let sink, out.count >= chunk { sink(&out) }
        }
        if query.json {
            var first = true
            let keys = ListJSONRenderer.Keys(fields)
            out.append(UInt8(ascii: "["))
            for i in order where isVisible(entries[i], query) {
                ListJSONRenderer.object(entries[i], keys, first: first, into: &out)
                first = false
                flush()
            }
            out.append(contentsOf: "\n]\n".utf8)
        } else {
            if query.header { ListTextRenderer.header(fields, into: &out) }
            for i in order where isVisible(entries[i], query) {
                ListTextRenderer.row(entries[i], fields, trim: query.trim, into: &out)
                flush()
            }
        }
        return out
    }

    private static func isSortedByID(_ r: [ListRecord]) -> Bool {
        var i = 1
        while i < r.count {
            if r[i - 1].ctid >= r[i].ctid { return false }
            i += 1
        }
        return true
    }

    private static func isVisible(_ e: ListEntry, _ q: ListQuery) -> Bool {
        // 4.x checked the private area of stopped containers only.
        if !e.privateExists && e.status != .running { return false }
        if q.stoppedOnly && e.status == .running { return false }
        if !matches(e.hostname, q.hostnamePattern) { return false }
        if !matches(e.name, q.namePattern) { return false }
        if !matches(e.description, q.descriptionPattern) { return false }
        return true
    }

    /// fnmatch(3) with no flags; a missing value never matches a pattern.
    static func matches(_ value: String?, _ pattern: String?) -> Bool {
        guard let pattern else { return true }
        guard let value else { return false }
        return fnmatch(pattern, value, 0) == 0
    }

    /// `vzlist -L`: every field with its header, `%-15s %-15s` (trailing
    /// spaces included, as 4.x printed them).
    public static func fieldTable() -> [UInt8] {
        var out: [UInt8] = []
        for f in ListField.all {
            ListFormat.padded(f.name, width: -15, into: &out)
            out.append(ListFormat.space)
            ListFormat.padded(f.header, width: -15, into: &out)
            out.append(0x0A)
        }
        return out
    }
}
