import Glibc
import VZBeancounters
import VZConfig
import VZInventory
import VZSystem

/// vzubc: the beancounters of the running containers (or of an OpenVZ
/// `/proc/user_beancounters` text) as vzubc 4.x showed them.
let arguments = Array(CommandLine.arguments.dropFirst())

func emit(_ text: String, _ fd: Int32) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        off += n
    }
}

func die(_ message: String, usage: Bool = false) -> Never {
    emit(message + "\n", STDERR_FILENO)
    if usage { emit(UBCCommand.usage, STDOUT_FILENO) }
    exit(1)
}

let parsed: UBCArguments.Parsed
switch UBCArguments.parse(arguments) {
case .success(let p): parsed = p
case .failure(let e): die(e.message, usage: true)
}
let settings = parsed.settings
if settings.help {
    emit(UBCCommand.usage, STDOUT_FILENO)
    exit(0)
}
do { try settings.validate() } catch { die(error.message, usage: true) }

// -rc / -ic act once, before anything else (also before watch starts).
if settings.clearRelative || settings.clearIncremental {
    do {
        try PrivateDirectory.open(settings.storeDirectory, create: false)?.remove { name in
            name.hasPrefix("ubc.") && (settings.clearRelative && name.hasSuffix(".failcnt")
                                       || settings.clearIncremental && name.hasSuffix(".held"))
        }
    } catch {
        die("Error: \(error.description)")
    }
}

// -w: watch(1) re-runs this binary every N seconds.
if let w = settings.watch {
    var argv = ["watch"]
    if w.differences { argv.append("-d") }
    if w.noTitle { argv.append("-t") }
    if let n = w.interval { argv += ["-n", n] }
    let me = Files.readLink("/proc/self/exe") ?? CommandLine.arguments[0]
    argv += ["-x", "--", me] + UBCArguments.watchCommand(arguments)
    let cargs = argv.map { strdup($0) } + [nil]
    execvp("watch", cargs)
    die("Error: cannot run watch(1): \(String(cString: strerror(errno))) (it comes with procps)")
}

// -r / -i: the previous run's numbers.
var store: PrivateDirectory? = nil
if settings.report.relative || settings.report.incremental {
    do { store = try PrivateDirectory.open(settings.storeDirectory, create: true) } catch { die("Error: \(error.description)") }
}

// -f FILE / -: an OpenVZ text instead of the cgroups.
var input: String? = nil
if let f = settings.file {
    let bytes: [UInt8]?
    if f == "-" {
        bytes = try? FileDescriptor(owning: dup(STDIN_FILENO)).readAll()
    } else {
        do { bytes = try Files.read(f) } catch { die("Error: cannot read \(f): \(error.description)") }
    }
    guard let bytes else { die("Error: cannot read \(f): no such file") }
    input = String(decoding: bytes, as: UTF8.self)
}

let sysroot = Sysroot(getenv("VZ_SYSROOT").map { String(cString: $0) })
let outcome = UBCCommand.run(
    settings, operands: parsed.operands, input: input, isRoot: geteuid() == 0,
    source: ContainerInventory(sysroot: sysroot), previous: { store?.number($0) })
emit(outcome.stdout, STDOUT_FILENO)
emit(outcome.stderr, STDERR_FILENO)
var status = outcome.status
if let store {
    for (name, value) in outcome.store.sorted(by: { $0.key < $1.key }) {
        do {
            try store.write(name, "\(value)\n")
        } catch {
            emit("Error: cannot save \(name): \(error.description)\n", STDERR_FILENO)
            status = 1
        }
    }
}
exit(status)
