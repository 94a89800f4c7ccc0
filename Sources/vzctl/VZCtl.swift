import Glibc
import VZCommandLine
import VZConfig
import VZRuntime

/// Global flags, the command table, and error → exit code mapping.
enum VZCtl {
    static let version = "vzctl version 4.11.1"

    /// Flags that precede the command (compat §1).
    struct GlobalFlags {
        var quiet = false
        var verbose = 0
        var skipLock = false
    }

    /// A command: its option table and what runs it.
    struct Command: Sendable {
        let names: [String]
        let summary: String
        /// Exit code for an unknown option: 21 for set/create, 20 elsewhere (4.x).
        let unknownOptionCode: ExitCode
        let run: @Sendable (_ ctx: Context, _ args: [String]) throws(VZError) -> Int32
    }

    static let commands: [Command] = [
        CreateCommand.command, DestroyCommand.command, SetCommand.command, StatusCommand.command,
        StartCommand.command, StopCommand.command, RestartCommand.command, MountCommand.mount, MountCommand.umount,
        ExecCommand.exec, ExecCommand.exec2, ExecCommand.exec3, EnterCommand.command, RunscriptCommand.command,
        ConsoleCommand.command,
    ]

    static func main(_ argv: [String]) -> Int32 {
        var flags = GlobalFlags()
        var rest = argv[...]
        while let a = rest.first, a.hasPrefix("-") {
            rest = rest.dropFirst()
            switch a {
            case "--quiet": flags.quiet = true
            case "--verbose": flags.verbose += 1
            case "--skiplock": flags.skipLock = true
            case "--version":
                print(version)
                return 0
            case "--help", "-h":
                print(usage)
                return 0
            default:
                printError("Invalid option \(a)")
                printError(usage)
                return ExitCode.invalidSyntax.rawValue
            }
        }
        guard let name = rest.first else {
            printError(usage)
            return ExitCode.invalidSyntax.rawValue
        }
        guard let command = commands.first(where: { $0.names.contains(name) }) else {
            printError("Invalid action \(name)")
            printError(usage)
            return ExitCode.invalidSyntax.rawValue
        }
        let ctx = Context(flags: flags, environment: environment())
        do {
            return try command.run(ctx, Array(rest.dropFirst()))
        } catch {
            ctx.console?.error(error.description) ?? printError(error.description)
            return error.code.rawValue
        }
    }

    static var usage: String {
        var s = "Usage: vzctl [options] <command> <ctid> [parameters]\n"
        s += "Options: --quiet --verbose --skiplock --version --help\n"
        for c in commands { s += "  \(c.names.joined(separator: "|")) \(c.summary)\n" }
        s += "Environment: VZ_SYSROOT=DIR uses DIR as the root of every node path (scratch nodes, tests)."
        return s
    }

    static func printError(_ s: String) {
        var line = Array((s + "\n").utf8)
        _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func environment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let c = p.pointee {
            let kv = String(cString: c)
            if let eq = kv.firstIndex(of: "=") { env[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
            p += 1
        }
        return env
    }
}

/// What every command gets: flags, the node (loaded on first use: `status`
/// must work without it), and a console.
final class Context {
    let flags: VZCtl.GlobalFlags
    let sysroot: Sysroot
    private(set) var console: Console?
    private var loaded: Node?

    init(flags: VZCtl.GlobalFlags, environment: [String: String]) {
        self.flags = flags
        self.sysroot = Sysroot.fromEnvironment(environment)
    }

    func node() throws(VZError) -> Node {
        if let loaded { return loaded }
        let n = try Node.load(sysroot: sysroot)
        loaded = n
        return n
    }

    /// The console, logging to LOGFILE once the node is known.
    func makeConsole() throws(VZError) -> Console {
        if let console { return console }
        let c = Console(quiet: flags.quiet, verbose: flags.verbose, node: try node())
        console = c
        return c
    }

    /// Parses a command's arguments: the CT argument first, options anywhere.
    func parse(_ args: [String], _ specs: [OptionSpec], unknown: ExitCode) throws(VZError) -> (ctid: String, options: [ParsedOption], operands: [String]) {
        let parsed: (options: [ParsedOption], operands: [String])
        do {
            parsed = try GetoptLong(specs).parse(args)
        } catch {
            let code: ExitCode
            switch error {
            case .unrecognized, .ambiguous: code = unknown
            default: code = .invalidSyntax
            }
            throw VZError(code, error.description)
        }
        guard let ctid = parsed.operands.first else {
            throw VZError(.invalidValue, "CT ID missing")
        }
        return (ctid, parsed.options, Array(parsed.operands.dropFirst()))
    }

    /// Resolves a CT argument (number or registered name).
    func resolve(_ arg: String) throws(VZError) -> ContainerID {
        if let id = ContainerID(arg) { return id }
        return try NameRegistry(node: node()).resolve(arg)
    }
}
