import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl status CTID`: one line, exit 0, no lock (compat §1).
enum StatusCommand {
    static let command = VZCtl.Command(
        names: ["status"], summary: "<ctid>", unknownOptionCode: .invalidSyntax, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, _, extra) = try ctx.parse(args, [], unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        print(try ContainerStatus.probe(ctid, node: ctx.node()).line(ctid))
        return 0
    }
}
