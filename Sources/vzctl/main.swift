import Glibc
import VZConfig
import VZRuntime
import VZStorage

// vzctl [flags] <command> <CTID|name> [options]
//
// The executable only parses the command line, calls one operation and maps
// its VZError to vzctl 4.x's exit code. Hidden stages (`__extract`) are
// re-executions of this binary by vzctl itself, never typed by admins.

signal(SIGPIPE, SIG_IGN)
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "__extract" {
    exit(ExtractWorker.main(arguments: Array(arguments.dropFirst())))
}
exit(VZCtl.main(arguments))
