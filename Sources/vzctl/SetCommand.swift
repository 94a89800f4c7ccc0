import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl set CTID <settings> [--save]`. Every option of the parameter
/// table is validated here, before anything is written; an unknown option
/// is exit 21 as in 4.x.
enum SetCommand {
    static let command = VZCtl.Command(
        names: ["set"], summary: "<ctid> [--save] [--setmode restart|ignore] [--reset_ub] [--hostname H] [--ipadd A] [--numproc B:L] ... (see README)",
        unknownOptionCode: .invalidValue, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let specs = [OptionSpec("save"), OptionSpec("reset_ub"), OptionSpec("setmode", .required)]
            + ParameterTable.optionSpecs(for: .set)
        let (target, options, extra) = try ctx.parse(args, specs, unknown: .invalidValue)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let ctid = try ctx.resolve(target)
        var changes = ParameterChanges(ctid: ctid)
        var save = false, resetUB = false
        var setMode: SetMode?
        for o in options {
            switch o.spec.name {
            case "save": save = true
            case "reset_ub": resetUB = true
            case "setmode": setMode = try SetMode.parse(o.value ?? "")
            default: try changes.add(option: o.spec.name, value: o.value ?? "")
            }
        }
        if resetUB {
            // 4.x: exclusive, it re-applies what is saved.
            guard options.allSatisfy({ $0.spec.name == "reset_ub" }) else {
                throw VZError(.invalidSyntax, "--reset_ub can not be used with other options")
            }
            try ResetLimitsOperation(node: ctx.node(), console: ctx.makeConsole()).run(ctid, skipLock: ctx.flags.skipLock)
            return 0
        }
        guard !changes.isEmpty else {
            throw VZError(.notEnoughParams, "Nothing to set")
        }
        if setMode == .restart && !save { throw VZError(.invalidValue, "--setmode restart requires --save") }
        let node = try ctx.node(), console = try ctx.makeConsole()
        let restart = try SetOperation(node: node, console: console)
            .run(ctid, changes: changes, save: save, setMode: setMode, skipLock: ctx.flags.skipLock)
        if restart && setMode == .restart {
            console.info("Restarting container")
            try StopOperation(node: node, console: console).run(ctid, skipLock: ctx.flags.skipLock)
            try StartOperation(node: node, console: console).run(ctid, skipLock: ctx.flags.skipLock)
        }
        return 0
    }
}
