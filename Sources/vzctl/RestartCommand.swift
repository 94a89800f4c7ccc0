import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl restart CTID`: stop if running, then start; the union of both
/// commands' options.
enum RestartCommand {
    static let command = VZCtl.Command(
        names: ["restart"], summary: "<ctid> [--fast] [--skip-umount] [--wait] [--force] [--skip-remount]", unknownOptionCode: .invalidSyntax, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, parsed, extra) = try ctx.parse(args, StartCommand.specs + StopCommand.specs, unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        let node = try ctx.node()
        let console = try ctx.makeConsole()
        console.info("Restarting container")
        if try ContainerStatus.probe(ctid, node: node).running {
            let fast = parsed.contains { $0.spec.name == "fast" }
            let skipUmount = parsed.contains { $0.spec.name == "skip-umount" }
            try StopOperation(node: node, console: console)
                .run(ctid, fast: fast, skipUmount: skipUmount, skipLock: ctx.flags.skipLock)
        }
        try StartOperation(node: node, console: console)
            .run(ctid, options: StartCommand.options(parsed), skipLock: ctx.flags.skipLock)
        return 0
    }
}
