import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl stop CTID [--fast] [--skip-umount]` (compat §1, §9). Not running:
/// a message, exit 0.
enum StopCommand {
    static let command = VZCtl.Command(
        names: ["stop"], summary: "<ctid> [--fast] [--skip-umount]", unknownOptionCode: .invalidSyntax, run: run)

    static let specs = [OptionSpec("fast"), OptionSpec("skip-umount")]

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, parsed, extra) = try ctx.parse(args, specs, unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        let fast = parsed.contains { $0.spec.name == "fast" }
        let skipUmount = parsed.contains { $0.spec.name == "skip-umount" }
        try StopOperation(node: ctx.node(), console: ctx.makeConsole())
            .run(ctid, fast: fast, skipUmount: skipUmount, skipLock: ctx.flags.skipLock)
        return 0
    }
}
