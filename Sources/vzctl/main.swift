import Glibc
import VZConfig
import VZRuntime

// vzctl [flags] <command> <CTID|name> [options]
//
// The executable only parses the command line, calls one operation and maps
// its VZError to vzctl 4.x's exit code. The hidden stage `__reap` is exec'd
// by vzmonitor, never typed by admins.

signal(SIGPIPE, SIG_IGN)
let arguments = Array(CommandLine.arguments.dropFirst())
// Exec'd by vzmonitor when the VPS's init has ended.
if arguments.first == StartProtocol.reapStage {
    exit(ReapStage.main(Array(arguments.dropFirst()), sysroot: Sysroot.fromEnvironment(VZCtl.environment())))
}
exit(VZCtl.main(arguments))
