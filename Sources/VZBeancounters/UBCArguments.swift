import VZCommandLine

/// vzubc's command line. 4.x's vzubc was a shell script whose options are
/// whole words after one dash (`-qh 0.5`, `-rc`, `-wn 2`), which
/// getopt_long would read as bundles (`-q -h`). Those exact words are
/// renamed to long options first (unless they are an option's value), and
/// GetoptLong does the rest: permuted operands, `--opt=value`, prefixes.
public enum UBCArguments {
    /// 4.x's multi-letter words and their long names here.
    static let words: [String: String] = [
        "-wd": "--watch-differences", "-wt": "--watch-no-title", "-wn": "--watch-interval",
        "-qh": "--quiet-held", "-qm": "--quiet-maxheld",
        "-rc": "--relative-clear", "-rd": "--store-dir", "-id": "--store-dir", "-ic": "--incremental-clear",
        // Internal: the command watch(1) re-runs, which must not watch again.
        "-W": "--under-watch",
    ]

    static let specs: [OptionSpec] = [
        OptionSpec("watch", short: "w"),
        OptionSpec("watch-differences"),
        OptionSpec("watch-no-title"),
        OptionSpec("watch-interval", .required),
        OptionSpec("under-watch"),
        OptionSpec("quiet", short: "q"),
        OptionSpec("quiet-held", .required),
        OptionSpec("quiet-maxheld", .required),
        OptionSpec("verbose", short: "v"),
        OptionSpec("relative", short: "r"),
        OptionSpec("relative-clear"),
        OptionSpec("store-dir", .required),
        OptionSpec("incremental", short: "i"),
        OptionSpec("incremental-clear"),
        OptionSpec("color", short: "c"),
        OptionSpec("colour", canonical: "color"),
        OptionSpec("file", short: "f", .required),
        OptionSpec("json", short: "j"),
        OptionSpec("user-beancounters"),
        OptionSpec("bc-resources"),
        OptionSpec("ct-resources"),
        OptionSpec("help", short: "h"),
    ]

    public struct Parsed: Sendable, Equatable {
        public var settings = UBCSettings()
        public var operands: [String] = []
        /// `-W`: this run is watch(1)'s.
        public var underWatch = false
    }

    /// The settings, or 4.x's message for a bad command line.
    public static func parse(_ args: [String]) -> Result<Parsed, UBCError> {
        let getopt = GetoptLong(specs)
        let parsed: (options: [ParsedOption], operands: [String])
        do {
            parsed = try getopt.parse(renamed(args))
        } catch {
            switch error {
            case .unrecognized(let o): return .failure(UBCError("Unrecognized option: \(original(o))"))
            case .missingArgument(let o): return .failure(UBCError("Error: option \(original(o)) requires an argument"))
            default: return .failure(UBCError("Error: \(error)"))
            }
        }
        var p = Parsed()
        var s = UBCSettings()
        var outputs: [String] = []
        for o in parsed.options {
            let v = o.value ?? ""
            switch o.spec.name {
            case "watch": s.watch = s.watch ?? UBCSettings.Watch()
            case "watch-differences": s.watch = s.watch ?? UBCSettings.Watch(); s.watch?.differences = true
            case "watch-no-title": s.watch = s.watch ?? UBCSettings.Watch(); s.watch?.noTitle = true
            case "watch-interval": s.watch = s.watch ?? UBCSettings.Watch(); s.watch?.interval = v
            case "under-watch": p.underWatch = true
            case "quiet": s.report.quiet = true
            case "quiet-held", "quiet-maxheld":
                guard let x = Double(v), x >= 0 else { return .failure(UBCError("Error: \(original(o.spelling)) needs a ratio, not \(v)")) }
                if o.spec.name == "quiet-held" { s.report.quietHeld = x } else { s.report.quietMaxheld = x }
                s.thresholdsGiven = true
            case "verbose": s.report.verbose = true
            case "relative": s.report.relative = true
            case "relative-clear": s.clearRelative = true
            case "store-dir": s.storeDirectory = v
            case "incremental": s.report.incremental = true
            case "incremental-clear": s.clearIncremental = true
            case "color": s.report.color = true
            case "file": s.file = v
            case "json": s.output = .json; outputs.append(o.spelling)
            case "user-beancounters": s.output = .userBeancounters; outputs.append(o.spelling)
            case "bc-resources": s.output = .bcResources; outputs.append(o.spelling)
            case "ct-resources": s.output = .ctResources; outputs.append(o.spelling)
            default: s.help = true
            }
        }
        if Set(outputs).count > 1 {
            return .failure(UBCError("Error: choose one output format, not " + outputs.joined(separator: " and ")))
        }
        // 4.x: a lone `-` reads stdin.
        for operand in parsed.operands {
            if operand == "-" { s.file = "-" } else { p.operands.append(operand) }
        }
        if p.underWatch { s.watch = nil }
        p.settings = s
        return .success(p)
    }

    /// 4.x's words renamed, values and everything after `--` left alone.
    static func renamed(_ args: [String]) -> [String] {
        var out: [String] = []
        var valueNext = false
        var ended = false
        for a in args {
            if ended || valueNext {
                out.append(a)
                valueNext = false
                continue
            }
            if a == "--" { ended = true }
            let b = words[a] ?? a
            out.append(b)
            valueNext = takesValue(b)
        }
        return out
    }

    private static func takesValue(_ word: String) -> Bool {
        if word.hasPrefix("--") {
            guard !word.contains("=") else { return false }
            // GetoptLong's lookup: the exact name, else a unique prefix.
            let name = String(word.dropFirst(2))
            let exact = specs.first { $0.long == name }
            let found = exact.map { [$0] } ?? specs.filter { !name.isEmpty && $0.long?.hasPrefix(name) == true }
            return Set(found.map(\.name)).count == 1 && found[0].argument == .required
        }
        // A short option with its value in the next word: `-f FILE`, `-jf FILE`.
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        for (i, c) in word.dropFirst().enumerated() {
            guard let spec = specs.first(where: { $0.short == c }) else { return false }
            if spec.argument == .required { return i == word.count - 2 }
        }
        return false
    }

    /// The word the user typed for a renamed option, for messages.
    private static func original(_ spelling: String) -> String {
        words.first { $0.value == spelling && $0.key != "-id" }?.key ?? spelling
    }

    /// The command watch(1) re-runs every N seconds: the same arguments
    /// with `-W`, minus the one-off `-rc`/`-ic`, which would otherwise wipe
    /// the store on every refresh.
    public static func watchCommand(_ args: [String]) -> [String] {
        var out: [String] = []
        var valueNext = false
        for a in args {
            if valueNext { out.append(a); valueNext = false; continue }
            let b = words[a] ?? a
            if b == "--relative-clear" || b == "--incremental-clear" { continue }
            out.append(a)
            valueNext = takesValue(b)
        }
        return out + ["-W"]
    }
}
