import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl start CTID [--wait] [--force] [--skip-remount]` (compat §1, §9).
enum StartCommand {
    static let command = VZCtl.Command(
        names: ["start"], summary: "<ctid> [--wait] [--force] [--skip-remount]", unknownOptionCode: .invalidSyntax, run: run)

    static let specs = [OptionSpec("wait"), OptionSpec("force"), OptionSpec("skip-remount"), OptionSpec("skip-fsck")]

    static func options(_ parsed: [ParsedOption]) -> StartOperation.Options {
        var o = StartOperation.Options()
        for p in parsed {
            switch p.spec.name {
            case "wait": o.wait = true
            case "force": o.force = true
            case "skip-remount": o.skipRemount = true
            default: break // --skip-fsck: no fsck for bind-mounted private areas
            }
        }
        return o
    }

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, parsed, extra) = try ctx.parse(args, specs, unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        try StartOperation(node: ctx.node(), console: ctx.makeConsole())
            .run(ctid, options: options(parsed), skipLock: ctx.flags.skipLock)
        return 0
    }
}
