import VZRuntime
import VZStorage
import Glibc

// Hidden stages re-exec'd by vzctl itself; never documented for admins.
let argv = CommandLine.arguments
if argv.count > 1 && argv[1] == "__extract" {
    exit(ExtractWorker.main(arguments: Array(argv.dropFirst(2))))
}
print("vzctl")
