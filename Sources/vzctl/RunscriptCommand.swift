import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl runscript CTID FILE` (compat §1): the script's exit code, as
/// exec2; a stopped VPS is started bare for it (see RunscriptOperation).
enum RunscriptCommand {
    static let command = VZCtl.Command(
        names: ["runscript"], summary: "<ctid> <script>", unknownOptionCode: .invalidSyntax, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, _, extra) = try ctx.parse(args, [], unknown: .invalidSyntax)
        guard extra.count == 1 else { throw VZError(.invalidSyntax, "Usage: vzctl runscript <ctid> <script>") }
        let ctid = try ctx.resolve(target)
        switch try RunscriptOperation(node: ctx.node()).run(ctid, script: extra[0], skipLock: ctx.flags.skipLock) {
        case .exited(let code): return code
        case .signaled(let sig):
            VZCtl.printError("Got signal \(sig)")
            return ExitCode.system.rawValue
        }
    }
}
