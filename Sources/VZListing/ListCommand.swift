import VZConfig

/// One option as getopt_long returned it, in command-line order.
public enum ListOption: Sendable, Equatable {
    case all, stopped, name, noHeader, noTrim, json, one, list, help
    case output(String), sort(String)
    case hostnamePattern(String), namePattern(String), descriptionPattern(String)
}

public struct ListOutcome: Sendable, Equatable {
    public var stdout: [UInt8] = []
    public var stderr: [UInt8] = []
    public var status: Int32 = 0

    public init() {}
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// vzlist's main() minus getopt and the syscalls: the vzlist executable
/// parses the command line and passes the options in order, together with
/// getopt's error (if parsing stopped at a bad option), whether the caller
/// is root, and the inventory.
public enum ListCommand {
    ///
    /// `stdoutSink` streams large output (see `Listing.render`); what it
    /// was not given is in the outcome's `stdout`.
    public static func run(
        options: [ListOption], operands: [String], getoptError: String? = nil,
        isRoot: Bool, source: some ListSource, stdoutSink: ((inout [UInt8]) -> Void)? = nil
    ) -> ListOutcome {
        var out = ListOutcome()
        func fail(_ message: String) -> ListOutcome {
            out.stderr += Array((message + "\n").utf8)
            out.status = 1
            return out
        }

        var query = ListQuery()
        var fieldSpec: String? = nil
        var all = false
        // Options act in order, as 4.x's getopt loop did: -L prints the
        // table and a bad -s fails on the spot, whatever follows.
        for opt in options {
            switch opt {
            case .stopped: query.stoppedOnly = true
            case .noTrim: query.trim = false
            case .noHeader: query.header = false
            case .list:
                out.stdout = Listing.fieldTable()
                return out
            case .all: all = true
            case .hostnamePattern(let p): query.hostnamePattern = p
            case .descriptionPattern(let p): query.descriptionPattern = p
            case .namePattern(let p): query.namePattern = p
            case .output(let s): fieldSpec = s
            case .sort(let s):
                var name = Substring(s)
                // Once reversed, a later -s without '-' does not undo it (4.x).
                if name.hasPrefix("-") {
                    name = name.dropFirst()
                    query.reverse = true
                }
                guard let f = ListField.named(String(name)) else { return fail("Invalid sort field name: \(s)") }
                query.sortField = f
            case .one:
                fieldSpec = "veid"
                query.header = false
            case .name: fieldSpec = ListField.defaultNameFields
            case .json: query.json = true
            case .help:
                // 4.x has no case for --help: it falls into the getopt
                // error branch, usage on stdout and exit 1.
                out.stdout = Array(usage.utf8)
                out.status = 1
                return out
            }
        }
        if let getoptError {
            out.stdout = Array(usage.utf8)
            return fail(getoptError)
        }

        var ids: Set<ContainerID>? = nil
        for arg in operands {
            guard let id = containerArgument(arg, source: source) else { return fail("CT ID \(arg) is invalid.") }
            ids = (ids ?? []).union([id])
        }

        do {
            query.fields = try ListQuery.fields(from: fieldSpec, json: query.json)
        } catch {
            return fail(error.message)
        }
        guard isRoot else { return fail("This program can only be run under root.") }

        let records: [ListRecord]
        do {
            records = try source.records(
                includeConfigured: all || ids != nil || query.stoppedOnly, only: ids, details: ListDetails(query))
        } catch {
            return fail(error.description)
        }
        if records.isEmpty {
            // "No containers" is an error only when some were asked for
            // (4.x bug #2149). JSON still gets a valid document (4.9).
            if query.json {
                out.stdout = Array("[]\n".utf8)
            } else {
                out.stderr = Array("Container(s) not found\n".utf8)
            }
            out.status = ids == nil ? 0 : 1
            return out
        }
        out.stdout = Listing.render(records, query: query, hostCPUs: source.hostCPUCount, sink: stdoutSink)
        return out
    }

    /// 4.x: `strtol`, and a name lookup when that leaves text over or gives
    /// 0; negative or above VEID_MAX is invalid.
    static func containerArgument(_ arg: String, source: some ListSource) -> ContainerID? {
        var u = Substring(arg).utf8[...]
        while let c = u.first, c == 0x20 || (c >= 0x09 && c <= 0x0D) { u = u.dropFirst() }
        var negative = false
        if let c = u.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            negative = c == UInt8(ascii: "-")
            u = u.dropFirst()
        }
        var value: UInt64 = 0
        var digits = 0
        var overflow = false
        while let c = u.first, c >= 0x30, c <= 0x39 {
            if value > UInt64(ContainerID.max) { overflow = true } else { value = value * 10 + UInt64(c - 0x30) }
            digits += 1
            u = u.dropFirst()
        }
        if digits == 0 || !u.isEmpty || value == 0 {
            return source.containerID(named: arg)
        }
        if negative || overflow { return nil }
        return ContainerID(value: UInt32(clamping: value))
    }

    /// 4.x's usage text, printed on stdout.
    public static let usage = """
        Usage:\tvzlist [-a | -S] [-n] [-H] [-o field[,field...] | -1] [-s [-]field]
        \t       [-h pattern] [-N pattern] [-d pattern] [CTID [CTID ...]]
        \tvzlist -L | --list

        Options:
        \t-a, --all\t\tlist all containers
        \t-S, --stopped\t\tlist stopped containers
        \t-n, --name\t\tdisplay containers' names
        \t-H, --no-header\t\tsuppress columns header
        \t-t, --no-trim\t\tdo not trim long values
        \t-j, --json\t\toutput in JSON format
        \t-o, --output\t\toutput only specified fields
        \t-1\t\t\tsynonym for -H -octid
        \t-s, --sort\t\tsort by the specified field
        \t\t\t\t('-field' to reverse sort order)
        \t-h, --hostname\t\tfilter CTs by hostname pattern
        \t-N, --name_filter\tfilter CTs by name pattern
        \t-d, --description\tfilter CTs by description pattern
        \t-L, --list\t\tget possible field names

        """
}
