import VZConfig

/// Where vzubc's containers come from: the node's running VPSes (the
/// inventory), or a fixture in tests.
public protocol UBCSource {
    /// The running containers' blocks, in CTID order; only those in `only`
    /// when given.
    func beancounterBlocks(only: Set<ContainerID>?) throws(VZError) -> [UBCBlock]
    /// A container name from the command line.
    func containerID(named name: String) -> ContainerID?
}

/// What vzubc prints.
public enum UBCOutput: Sendable, Equatable {
    /// The human table (default).
    case table
    /// `-j`/`--json`.
    case json
    /// `--user-beancounters`: /proc/user_beancounters.
    case userBeancounters
    /// `--bc-resources`: /proc/bc/resources.
    case bcResources
    /// `--ct-resources`: /proc/bc/CTID/resources of one container.
    case ctResources
}

/// vzubc's options once parsed (the executable maps its command line here).
public struct UBCSettings: Sendable, Equatable {
    public var report = UBCReportOptions()
    public var output = UBCOutput.table
    /// `-f FILE`, `-` for stdin: read an OpenVZ text instead of the cgroups.
    public var file: String?
    /// `-rd`/`-id`: where `-r` and `-i` keep the previous run's numbers.
    public var storeDirectory = "/tmp/vzubc.store"
    /// `-rc`/`-ic`: forget the stored failcnt / held values first.
    public var clearRelative = false
    public var clearIncremental = false
    /// `-qh`/`-qm` given.
    public var thresholdsGiven = false
    /// `-w`, `-wd`, `-wt`, `-wn N`: run under watch(1).
    public var watch: Watch?
    public var help = false

    public struct Watch: Sendable, Equatable {
        /// `-wd`: highlight what changed between runs.
        public var differences = false
        /// `-wt`: no title line.
        public var noTitle = false
        /// `-wn N`: seconds between runs (watch's default otherwise).
        public var interval: String?

        public init() {}
    }

    public init() {}

    /// vzubc 4.x's sanity checks, and ours for the machine formats.
    public func validate() throws(UBCError) {
        let r = report
        if watch != nil && r.color { throw UBCError("Error: can't use --watch and --color together") }
        if thresholdsGiven && !r.color && !r.quiet { throw UBCError("Error: -qh and -qm only make sense with --quiet or --color") }
        if r.quiet && r.verbose { throw UBCError("Error: options --quiet and --verbose can't be used together") }
        if output != .table && (r.quiet || r.verbose || r.relative || r.incremental || r.color || thresholdsGiven) {
            throw UBCError("Error: -q, -v, -r, -i and -c apply to the table only, not to \(outputName)")
        }
        if let n = watch?.interval, Double(n).map({ $0 > 0 }) != true {
            throw UBCError("Error: -wn needs a number of seconds, not \(n)")
        }
    }

    var outputName: String {
        switch output {
        case .table: return "the table"
        case .json: return "--json"
        case .userBeancounters: return "--user-beancounters"
        case .bcResources: return "--bc-resources"
        case .ctResources: return "--ct-resources"
        }
    }
}

/// vzubc's main() minus option parsing and I/O: the executable reads the
/// `-f` file and the store, and writes the outcome's store entries.
public enum UBCCommand {
    public struct Outcome: Sendable, Equatable {
        public var stdout = ""
        public var stderr = ""
        public var status: Int32 = 0
        /// `-r`/`-i` values to keep for the next run.
        public var store: [String: UInt64] = [:]

        public init() {}
    }

    /// `input`: the `-f` text (nil: read the running containers through
    /// `source`, which needs root). `previous`: a stored value of the last
    /// `-r`/`-i` run.
    public static func run(_ s: UBCSettings, operands: [String], input: String?, isRoot: Bool,
                           source: some UBCSource, previous: @escaping (String) -> UInt64? = { _ in nil }) -> Outcome {
        var out = Outcome()
        func fail(_ message: String, usage withUsage: Bool = false) -> Outcome {
            out.stderr += message + "\n"
            if withUsage { out.stdout = usage }
            out.status = 1
            return out
        }
        if s.help {
            out.stdout = usage
            return out
        }
        do { try s.validate() } catch { return fail(error.message, usage: true) }

        // CTIDs and names, as 4.x took them (a name through vzlist).
        var ids: [Int64] = []
        for arg in operands {
            if !arg.isEmpty, arg.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int64(arg) {
                ids.append(n)
            } else if let id = source.containerID(named: arg) {
                ids.append(Int64(id.value))
            } else {
                return fail("Error: no container named \(arg)")
            }
        }

        var blocks: [UBCBlock]
        if let input {
            do { blocks = try UBCProcText.parse(input) } catch { return fail(error.message) }
            // Rows without a uid belong to whatever CT the file was of.
            if !ids.isEmpty { blocks = blocks.filter { $0.id.map(ids.contains) ?? true } }
        } else {
            guard isRoot else {
                return fail("Error: reading the beancounters of running containers needs root (or use -f FILE)")
            }
            var only: Set<ContainerID>? = nil
            for n in ids {
                guard n > 0, n <= Int64(ContainerID.max), let id = ContainerID(String(n)) else {
                    return fail("Error: invalid CT ID \(n)")
                }
                only = (only ?? []).union([id])
            }
            do { blocks = try source.beancounterBlocks(only: only) } catch { return fail("Error: \(error.message)") }
            let found = Set(blocks.compactMap(\.id))
            for n in ids where !found.contains(n) { out.stderr += "CT \(n) is not running: no beancounters\n" }
        }

        switch s.output {
        case .table:
            do {
                let r = try UBCReport.render(blocks, s.report, previous: previous)
                out.stdout = r.text
                out.store = r.store
            } catch {
                return fail(error.message)
            }
        case .json: out.stdout = UBCJSON.render(blocks)
        case .userBeancounters: out.stdout = UBCProcText.userBeancounters(blocks)
        case .bcResources: out.stdout = UBCProcText.bcResources(blocks)
        case .ctResources:
            guard blocks.count == 1 else {
                return fail("Error: --ct-resources prints one container's file; \(blocks.count) containers were selected")
            }
            out.stdout = UBCProcText.ctResources(blocks[0])
        }
        return out
    }

    public static let usage = """
        Usage: vzubc [option ...] [<ctid> ...]

         -w, --watch:
             Run itself under watch(1) (a la top mode, Ctrl-C to exit).
             -wd: show differences between runs
             -wt: do not show watch title
             -wn <time>: refresh every <time> seconds
         -q, --quiet:
             Quiet mode (only show beancounters with fails and close to limits).
             -qh <ratio>: quiet threshold for held/barrier ratio (default: 0.5)
             -qm <ratio>: quiet threshold for maxheld/barrier ratio (default: 0.8)
         -v, --verbose:
             Verbose mode (show unlimited beancounters as well, and how each
             one is enforced on this kernel).
         -r, --relative:
             Relative mode, show fail counters delta compared to previous run.
             -rc: clear all saved fail counter data for relative mode
             -rd <dir>: directory for storing data (default: /tmp/vzubc.store)
         -i, --incremental:
             Incremental mode, add held value delta compared to previous run.
             If used together with -q, beancounters with changed values are also shown.
             -ic: clear all saved held data for incremental mode
             -id <dir>: synonym for -rd
         -c, --color:
             Enable color highlighting (using same thresholds as for --quiet).
             Color mode is not compatible with --watch.
         -f, --file <file>:
             File to read UBC values from, in the /proc/user_beancounters or
             /proc/bc/resources format (e.g. from an OpenVZ node). Use - to
             read from stdin. Default: the running containers' cgroups.
         -j, --json:
             All beancounters of the containers as JSON (null: not kept by
             the kernel).
         --user-beancounters, --bc-resources, --ct-resources:
             Print the containers' beancounters as the OpenVZ kernel printed
             /proc/user_beancounters, /proc/bc/resources, or (one container)
             /proc/bc/CTID/resources, for scripts that parse those files.

         <ctid>: container name/ID to show info about (can be used multiple times)

        n/a: the kernel keeps no such number for a cgroup. "not enforced": a
        limit a stock kernel cannot apply; it is shown as configured.

        """
}
