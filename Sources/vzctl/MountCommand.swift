import VZCommandLine
import VZConfig
import VZRuntime

/// `vzctl mount CTID` / `vzctl umount CTID` (compat §1): already mounted →
/// message, exit 0; umount when not mounted → 40, when running → 32.
enum MountCommand {
    static let mount = VZCtl.Command(names: ["mount"], summary: "<ctid>", unknownOptionCode: .invalidSyntax) { ctx, args throws(VZError) in
        let ctid = try target(ctx, args)
        try MountOperation(node: ctx.node(), console: ctx.makeConsole()).mount(ctid, skipLock: ctx.flags.skipLock)
        return 0
    }

    static let umount = VZCtl.Command(names: ["umount"], summary: "<ctid>", unknownOptionCode: .invalidSyntax) { ctx, args throws(VZError) in
        let ctid = try target(ctx, args)
        try MountOperation(node: ctx.node(), console: ctx.makeConsole()).unmount(ctid, skipLock: ctx.flags.skipLock)
        return 0
    }

    private static func target(_ ctx: Context, _ args: [String]) throws(VZError) -> ContainerID {
        let (target, _, extra) = try ctx.parse(args, [], unknown: .invalidSyntax)
        guard extra.isEmpty else { throw VZError(.invalidSyntax, "Invalid non-option argument \(extra[0])") }
        return try ctx.resolve(target)
    }
}
