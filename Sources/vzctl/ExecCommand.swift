import Glibc
import VZConfig
import VZRuntime

/// `vzctl exec|exec2|exec3 CTID CMD [ARG...]` and `exec CTID -` (compat §1).
/// Everything after the CT argument is the command, never vzctl options
/// (`vzctl exec 101 ls -l`), so no getopt here.
enum ExecCommand {
    enum Variant { case exec, exec2, exec3 }

    static let exec = VZCtl.Command(
        names: ["exec"], summary: "<ctid> <command> [arg ...] | -   (exit 0, or 8 on any failure)",
        unknownOptionCode: .invalidSyntax) { ctx, args throws(VZError) in try run(ctx, args, .exec) }
    static let exec2 = VZCtl.Command(
        names: ["exec2"], summary: "<ctid> <command> [arg ...] | -   (the command's exit code)",
        unknownOptionCode: .invalidSyntax) { ctx, args throws(VZError) in try run(ctx, args, .exec2) }
    static let exec3 = VZCtl.Command(
        names: ["exec3"], summary: "<ctid> <command> [arg ...]   (argv executed directly, no shell)",
        unknownOptionCode: .invalidSyntax) { ctx, args throws(VZError) in try run(ctx, args, .exec3) }

    static func run(_ ctx: Context, _ args: [String], _ variant: Variant) throws(VZError) -> Int32 {
        do {
            let outcome = try execute(ctx, args, variant)
            switch outcome {
            case .exited(let code):
                return variant == .exec ? (code == 0 ? 0 : ExitCode.commandExecution.rawValue) : code
            case .signaled(let sig):
                // vzctl 4.x env_wait(): a signal is VZ_SYSTEM_ERROR.
                VZCtl.printError("Got signal \(sig)")
                return variant == .exec ? ExitCode.commandExecution.rawValue : ExitCode.system.rawValue
            }
        } catch {
            // exec: 8 for any failure, not running included (4.x).
            throw variant == .exec ? error.with(code: .commandExecution) : error
        }
    }

    static func execute(_ ctx: Context, _ args: [String], _ variant: Variant) throws(VZError) -> ExecOperation.Outcome {
        guard let target = args.first else { throw VZError(.invalidValue, "CT ID missing") }
        let words = Array(args.dropFirst())
        guard !words.isEmpty else { throw VZError(.invalidSyntax, "No command specified") }
        let ctid = try ctx.resolve(target)
        let command: ExecOperation.Command
        switch variant {
        case .exec3: command = .argv(words)
        case .exec, .exec2: command = words == ["-"] ? .script : .shell(words.joined(separator: " "))
        }
        return try ExecOperation(node: ctx.node()).run(ctid, command)
    }
}
