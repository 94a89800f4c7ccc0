import Glibc

/// Runs the project's binaries as child processes, the way admins and their
/// scripts do, capturing stdout and stderr through temp files (no pipes to
/// drain, so no deadlock on large output).
struct ProcessResult {
    var status: Int32
    var signal: Int32?
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
}

enum Spawn {
    /// Directory holding the built executables: `swift test` builds them next
    /// to the test bundle, which is what /proc/self/exe points into.
    static let binDir: String = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        precondition(n > 0, "cannot read /proc/self/exe")
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var dir = exe
        // .../debug/vzctlPackageTests.xctest (a file on Linux)
        while let slash = dir.lastIndex(of: "/") {
            dir = String(dir[..<slash])
            if access(dir + "/vzctl", X_OK) == 0 { return dir }
            if dir.isEmpty { break }
        }
        fatalError("vzctl binary not found next to \(exe): build the package first (swift build)")
    }()

    static var vzctl: String { binDir + "/vzctl" }
    static var vzlist: String { binDir + "/vzlist" }

    /// Starts `argv` with `env` and stdin from /dev/null (or `stdinPath`);
    /// returns the pid and the capture file paths.
    static func start(_ argv: [String], env: [String: String], stdinPath: String = "/dev/null") -> (pid: pid_t, out: String, err: String) {
        let tag = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let out = "/tmp/vzt-out-\(tag)"
        let err = "/tmp/vzt-err-\(tag)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The test runner may have signals blocked or ignored; children get defaults.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargs, cenv)
        precondition(rc == 0, "posix_spawn \(argv[0]) failed: \(rc)")
        return (pid, out, err)
    }

    static func wait(_ pid: pid_t, out: String, err: String) -> ProcessResult {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let o = readText(out), e = readText(err)
        unlink(out)
        unlink(err)
        let termsig = status & 0x7f
        if termsig != 0 { return ProcessResult(status: -1, signal: termsig, stdout: o, stderr: e) }
        return ProcessResult(status: (status >> 8) & 0xff, signal: nil, stdout: o, stderr: e)
    }

    static func run(_ argv: [String], env: [String: String], stdinPath: String = "/dev/null") -> ProcessResult {
        let p = start(argv, env: env, stdinPath: stdinPath)
        return wait(p.pid, out: p.out, err: p.err)
    }

    /// `sh -c SCRIPT`, for fixture plumbing (tar, mount, make).
    @discardableResult
    static func shell(_ script: String, env: [String: String] = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]) -> ProcessResult {
        run(["/bin/sh", "-c", script], env: env)
    }

    static func readText(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
