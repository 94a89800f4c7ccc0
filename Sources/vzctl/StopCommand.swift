import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl stop CTID [--fast]` (compat §1, §9). Not running: a message, exit 0.
enum StopCommand {
    static let command = VZCtl.Command(
        names: ["stop"], summary: "<ctid> [--fast]", unknownOptionCode: .invalidSyntax, run: run)

    static let specs = [OptionSpec("fast"), OptionSpec("skip-umount")]

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, parsed, extra) = try ctx.parse(args, specs, unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        let fast = parsed.contains { $0.spec.name == "fast" }
        try StopOperation(node: ctx.node(), console: ctx.makeConsole()).run(ctid, fast: fast, skipLock: ctx.flags.skipLock)
        return 0
    }
}
