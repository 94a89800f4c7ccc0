import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl destroy|delete CTID`
enum DestroyCommand {
    static let command = VZCtl.Command(
        names: ["destroy", "delete"], summary: "<ctid>", unknownOptionCode: .invalidSyntax, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, _, extra) = try ctx.parse(args, [], unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        try DestroyOperation(node: ctx.node(), console: ctx.makeConsole()).run(ctid, skipLock: ctx.flags.skipLock)
        return 0
    }
}
