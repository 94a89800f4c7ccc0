import Glibc
import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl create CTID|auto --ostemplate NAME [--config NAME] [--private P]
///  [--root P] [--hostname H] [--ipadd A]... [--name N] [--description D]
///  [--diskspace S[:H]] [--diskinodes S[:H]] [--layout simfs]`
///
/// `auto` takes the lowest free CTID from 101 up and prints it alone on the
/// first line of stdout (even with --quiet), so scripts can write
/// `id=$(vzctl --quiet create auto --ostemplate NAME)`.
enum CreateCommand {

    static let ownOptions: [OptionSpec] = [
        OptionSpec("ostemplate", .required),
        OptionSpec("config", .required),
        OptionSpec("private", .required),
        OptionSpec("root", .required),
        OptionSpec("layout", .required),
        OptionSpec("ve_layout", .required, canonical: "layout"),
        OptionSpec("velayout", .required, canonical: "layout"),
    ]

    static let command = VZCtl.Command(
        names: ["create"], summary: "<ctid|auto> --ostemplate NAME [--config NAME] [--private P] [--root P] [--hostname H] [--ipadd A] [--name N] [--description D] [--diskspace S:H] [--diskinodes S:H]",
        unknownOptionCode: .invalidValue, run: run)

    static func run(_ ctx: Context, _ args: [String]) throws(VZError) -> Int32 {
        let specs = ownOptions + ParameterTable.optionSpecs(for: .create)
        let (target, options, extra) = try ctx.parse(args, specs, unknown: .invalidValue)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        let node = try ctx.node()
        let console = try ctx.makeConsole()

        let ctid: ContainerID? = target == "auto" ? nil : try ContainerID.parse(target)
        var request = CreateRequest(ctid: ctid, settings: ParameterChanges(ctid: ctid))
        for o in options {
            let value = o.value ?? ""
            switch o.spec.name {
            case "ostemplate": request.ostemplate = try ValueSyntax.osTemplate(value)
            case "config": request.sample = try validSampleName(value)
            case "private": request.privatePath = try ValueSyntax.containerPath(value, key: "VE_PRIVATE")
            case "root": request.rootPath = try ValueSyntax.containerPath(value, key: "VE_ROOT")
            case "layout":
                guard value == "simfs" else {
                    throw VZError(.invalidValue, "Unsupported layout \(value): only simfs (a directory tree) is available on this node")
                }
                request.layout = value
            default: try request.settings.add(option: o.spec.name, value: value)
            }
        }
        request.skipLock = ctx.flags.skipLock
        request.progress = !ctx.flags.quiet && isatty(2) == 1
        let op = CreateOperation(node: node, console: console)
        if ctid == nil {
            // The ID goes out before the slow part, so a caller can clean up
            // after an interrupted run.
            request.onAssigned = { id in
                // Unbuffered: the line must be out before a kill mid-extraction.
                let line = Array("\(id)\n".utf8)
                _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
        }
        try op.run(request)
        return 0
    }

    static func validSampleName(_ s: String) throws(VZError) -> String {
        guard !s.isEmpty, !s.contains("/"), !s.hasPrefix(".") else {
            throw VZError(.invalidValue, "Invalid config sample name \(s.debugDescription)")
        }
        return s
    }

}
