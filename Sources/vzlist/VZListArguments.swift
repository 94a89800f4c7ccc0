import Glibc
import VZCommandLine
import VZListing

/// vzlist's command line through GNU getopt_long semantics (4.x used
/// `"HtSanjN:h:d:o:s:Le1"` plus long names): bundled short options
/// (`-Hoctid`, `-s-bootorder`), options after CTIDs, `--opt=value`.
enum VZListArguments {
    static let specs: [OptionSpec] = [
        OptionSpec("no-header", short: "H"),
        OptionSpec("no-trim", short: "t"),
        OptionSpec("stopped", short: "S"),
        OptionSpec("all", short: "a"),
        OptionSpec("name", short: "n"),
        OptionSpec("json", short: "j"),
        OptionSpec("name_filter", short: "N", .required),
        OptionSpec("hostname", short: "h", .required),
        OptionSpec("description", short: "d", .required),
        OptionSpec("output", short: "o", .required),
        OptionSpec("sort", short: "s", .required),
        OptionSpec("list", short: "L"),
        // 4.x mapped --help to 'e' (and so accepted -e too).
        OptionSpec("help", short: "e"),
        OptionSpec(nil, short: "1"),
    ]

    struct Parsed {
        var options: [ListOption]
        var operands: [String]
        /// glibc's message for the first bad option, e.g.
        /// `vzlist: invalid option -- 'x'`.
        var error: String?
    }

    static func parse(_ args: [String], programName: String) -> Parsed {
        let getopt = GetoptLong(specs)
        do {
            let r = try getopt.parse(args)
            return Parsed(options: r.options.map(option), operands: r.operands, error: nil)
        } catch {
            // glibc handled the options before the bad one first (an earlier
            // -L still prints the field list): keep the longest prefix of
            // the command line that parses.
            var k = args.count - 1
            while k >= 0 {
                if var r = try? getopt.parse(Array(args[0..<k])) {
                    // Inside a bundle (`-Lx`) the letters before the bad one count too.
                    let bad = args[k]
                    if bad.hasPrefix("-"), !bad.hasPrefix("--") {
                        var j = bad.count - 1
                        while j > 1 {
                            if let more = try? getopt.parse(Array(args[0..<k]) + [String(bad.prefix(j))]) {
                                r = more
                                break
                            }
                            j -= 1
                        }
                    }
                    return Parsed(options: r.options.map(option), operands: r.operands, error: message(error, programName))
                }
                k -= 1
            }
            return Parsed(options: [], operands: [], error: message(error, programName))
        }
    }

    private static func option(_ p: ParsedOption) -> ListOption {
        let v = p.value ?? ""
        switch p.spec.short {
        case "H": return .noHeader
        case "t": return .noTrim
        case "S": return .stopped
        case "a": return .all
        case "n": return .name
        case "j": return .json
        case "N": return .namePattern(v)
        case "h": return .hostnamePattern(v)
        case "d": return .descriptionPattern(v)
        case "o": return .output(v)
        case "s": return .sort(v)
        case "L": return .list
        case "1": return .one
        default: return .help
        }
    }

    /// glibc's wording, which differs for short and long options.
    private static func message(_ e: GetoptError, _ prog: String) -> String {
        switch e {
        case .unrecognized(let o) where !o.hasPrefix("--"):
            return "\(prog): invalid option -- '\(o.dropFirst())'"
        case .missingArgument(let o) where !o.hasPrefix("--"):
            return "\(prog): option requires an argument -- '\(o.dropFirst())'"
        default:
            return "\(prog): \(e)"
        }
    }

    static func write(_ bytes: [UInt8], to fd: Int32) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            off += n
        }
    }
}
