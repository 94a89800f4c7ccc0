import CVZShim
import Glibc
import VZConfig
import VZSystem

/// `vzctl __init ROOT HOSTNAME CAPMASK CGROUPNS LIMITS`: PID 1 of the new PID
/// namespace, started by the monitor in fresh mount/UTS/IPC/net namespaces.
///
/// Single-threaded and synchronous (nothing here starts Dispatch or Swift
/// concurrency), so unshare/mount/pivot_root act on the one thread there
/// is. It never logs: a failure goes as `CODE message` on fd 5, which is
/// CLOEXEC at the final execve, so vzctl reads EOF exactly when init runs.
/// While this runs, the host vzctl binary is the only process of the PID
/// namespace; the VPS's own code starts only with the execve of its init,
/// which replaces this image (CVE-2019-5736 needs a VPS process to see it).
public enum InitStage {
    public static func main(_ argv: [String]) -> Int32 {
        guard let args = StartProtocol.InitArguments(argv: argv) else {
            report(VZError(.invalidSyntax, "init stage: bad arguments"))
            return 2
        }
        // Wait for "go": vzctl has attached us to the cgroups and written
        // the state. EOF means vzctl died: leave without touching anything.
        var byte: UInt8 = 0
        let n = sysResult { read(StartProtocol.goFD, &byte, 1) }
        guard case .success(1) = n, byte == StartProtocol.go else { return 1 }
        close(StartProtocol.goFD)
        do {
            try run(args)
        } catch {
            report(error)
            return 1
        }
    }

    private static func report(_ error: VZError) {
        let bytes = StartProtocol.encode(error)
        _ = bytes.withUnsafeBytes { write(StartProtocol.errorFD, $0.baseAddress, $0.count) }
    }

    private static func run(_ args: StartProtocol.InitArguments) throws(VZError) -> Never {
        umask(0)
        // The cgroup namespace is made here, after vzctl attached us, so
        // its root is the VPS's cgroup and not the monitor's.
        if args.newCgroupNamespace {
            _ = try sys("Unable to create the cgroup namespace") { vz_unshare(VZ_CLONE_NEWCGROUP) }
        }
        // Nothing we mount may propagate to the host, and host mounts under
        // VE_ROOT after this point do not reach the VPS.
        _ = try sys("Unable to make / private", code: .cannotMount) { mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) }
        let null = try RootMount.openNull()
        _ = try sys("Unable to bind the container root", path: args.root, code: .cannotMount) {
            mount(args.root, args.root, nil, UInt(MS_BIND | MS_REC), nil)
        }
        let rootFD = try FileDescriptor.open(args.root, Int32(VZ_O_PATH) | O_DIRECTORY | O_NOFOLLOW, code: .cannotMount)
        let m = RootMount(root: rootFD, null: null)
        try m.mountProc()
        try m.mountSys()
        try m.mountDev(ptyMax: args.limits.ptyMax, deviceNodes: args.limits.deviceNodes)
        try m.mountRun()

        if !args.hostname.isEmpty {
            let h = Array(args.hostname.utf8)
            _ = try sys("Unable to set the hostname", code: .badHostname) { h.withUnsafeBufferPointer { vz_sethostname($0.baseAddress, $0.count) } }
        }

        // The loopback of the new network namespace starts down; a VPS's
        // root has no NET_ADMIN by default, and OpenVZ brought it up too.
        _ = try sys("Unable to set up the loopback interface") { vz_link_up("lo") }

        // pivot_root(".", "."): the old root is stacked under the new one
        // and detached at once; nothing of the host stays reachable.
        _ = try sys("Unable to enter the container root", code: .cannotMount) { fchdir(rootFD.raw) }
        _ = try sys("pivot_root", code: .cannotMount) { vz_pivot_root(".", ".") }
        _ = try sys("Unable to detach the old root", code: .cannotMount) { umount2(".", Int32(MNT_DETACH)) }
        _ = try sys("chdir /", code: .cannotMount) { chdir("/") }

        // No fd of ours survives into init but 0-2 (the console) and the
        // error fd, which closes itself at execve.
        _ = vz_close_range(3, UInt32(StartProtocol.errorFD - 1))
        _ = vz_close_range(UInt32(StartProtocol.errorFD + 1), UInt32.max)
        _ = vz_set_cloexec(StartProtocol.errorFD, 1)

        // The VPS must not share the admin's session keyring (keyctl(2)
        // reaches it even with /proc/keys masked).
        _ = vz_join_session_keyring()
        try args.limits.applyRlimits()
        try Capabilities.apply(args.capabilities)
        umask(0o022)

        // vzctl 4.x's argv: `-z` plus blanks that init may overwrite with
        // its status for ps; sysvinit accepts -z for this, busybox ignores it.
        let env = ["container=vzctl", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "TERM=linux", "HOME=/"]
        let argv = ["init", "-z", "      "]
        let cenv = env.map { strdup($0) } + [nil]
        let cargv = argv.map { strdup($0) } + [nil]
        var lastErrno: Int32 = ENOENT
        for path in ["/sbin/init", "/etc/init", "/bin/init"] {
            execve(path, cargv, cenv)
            let e = errno
            if e != ENOENT && e != ENOTDIR { lastErrno = e }
        }
        if lastErrno == ENOENT {
            throw VZError(.badTemplate, "Unable to start init, probably incorrect template")
        }
        throw VZError(.badTemplate, "Unable to start init, probably incorrect template", errno: lastErrno)
    }
}
