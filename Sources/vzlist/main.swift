import Glibc
import VZConfig
import VZListing
import VZInventory

let arguments = Array(CommandLine.arguments.dropFirst())
let parsed = VZListArguments.parse(arguments, programName: CommandLine.arguments.first ?? "vzlist")
let sysroot = Sysroot(getenv("VZ_SYSROOT").map { String(cString: $0) })
let outcome = ListCommand.run(
    options: parsed.options, operands: parsed.operands, getoptError: parsed.error,
    isRoot: getuid() == 0, source: ContainerInventory(sysroot: sysroot),
    stdoutSink: { chunk in
        VZListArguments.write(chunk, to: STDOUT_FILENO)
        chunk.removeAll(keepingCapacity: true)
    })
VZListArguments.write(outcome.stdout, to: STDOUT_FILENO)
VZListArguments.write(outcome.stderr, to: STDERR_FILENO)
exit(outcome.status)
