import Glibc
import VZConfig
import VZRuntime

/// `vzctl enter CTID [--exec CMD [ARG...]]` (compat §1). Words after
/// `--exec` are typed into the shell, so they are not parsed either.
enum EnterCommand {
    static let command = VZCtl.Command(
        names: ["enter"], summary: "<ctid> [--exec <command> [arg ...]]", unknownOptionCode: .invalidSyntax, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        guard let target = args.first else { throw VZError(.invalidValue, "CT ID missing") }
        var exec: [String]?
        if args.count > 1 {
            guard args[1] == "--exec" else { throw VZError(.invalidSyntax, "Invalid non-option argument \(args[1])") }
            exec = Array(args.dropFirst(2))
            guard exec?.isEmpty == false else { throw VZError(.invalidSyntax, "--exec needs a command") }
        }
        let ctid = try ctx.resolve(target)
        let term = getenv("TERM").map { String(cString: $0) }
        _ = try EnterOperation(node: ctx.node()).run(ctid, term: term, exec: exec)
        return 0
    }
}
