import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl set CTID <settings> [--save]`. Every option of the parameter
/// table is validated here, before anything is written; an unknown option
/// is exit 21 as in 4.x.
enum SetCommand {
    static let command = VZCtl.Command(
        names: ["set"], summary: "<ctid> [--save] [--hostname H] [--ipadd A] [--numproc B:L] ... (see README)",
        unknownOptionCode: .invalidValue, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let specs = [OptionSpec("save")] + ParameterTable.optionSpecs(for: .set)
        let (target, options, extra) = try ctx.parse(args, specs, unknown: .invalidValue)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        var changes = ParameterChanges(ctid: ctid)
        var save = false
        for o in options {
            if o.spec.name == "save" { save = true; continue }
            try changes.add(option: o.spec.name, value: o.value ?? "")
        }
        guard !changes.isEmpty else {
            throw VZError(.notEnoughParams, "Nothing to set")
        }
        try SetOperation(node: ctx.node(), console: ctx.makeConsole())
            .run(ctid, changes: changes, save: save, skipLock: ctx.flags.skipLock)
        return 0
    }
}
