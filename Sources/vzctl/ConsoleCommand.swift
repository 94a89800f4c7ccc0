import VZConfig
import VZRuntime

/// `vzctl console CTID [TTYNUM]` (compat §1): attach to the VPS's console;
/// `Esc .` detaches.
enum ConsoleCommand {
    static let command = VZCtl.Command(
        names: ["console"], summary: "<ctid> [1]   (Esc . detaches)", unknownOptionCode: .invalidSyntax, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let (target, _, extra) = try ctx.parse(args, [], unknown: .invalidSyntax)
        guard extra.count <= 1 else { throw VZError(.invalidSyntax, "Usage: vzctl console <ctid> [1]") }
        guard let tty = extra.isEmpty ? 1 : Int(extra[0]), tty >= 1 else {
            throw VZError(.invalidValue, "Invalid tty number: \(extra[0])")
        }
        let ctid = try ctx.resolve(target)
        _ = try ConsoleOperation(node: ctx.node()).run(ctid, tty: tty)
        return 0
    }
}
