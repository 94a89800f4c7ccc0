import Glibc

/// Runs bash on a config file the way third-party scripts do
/// (`source /etc/vz/conf/101.conf`), with posix_spawn and no Foundation.
enum ShellHarness {
    static let bash = "/bin/bash"

    static var available: Bool { access(bash, X_OK) == 0 }

    /// Writes `text` to a fresh temp file and returns its path.
    static func writeTemp(_ text: String) -> String {
        var template = Array("/tmp/vzconfig-test-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0, "mkstemp failed")
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            precondition(n > 0, "write failed")
            off += n
        }
        close(fd)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `bash -c script _ args...`; returns exit status and stdout.
    static func run(script: String, args: [String] = [], environment: [String] = ["PATH=/usr/bin:/bin"]) -> (status: Int32, stdout: String) {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])

        let argv = [bash, "-c", script, "_"] + args
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, bash, &actions, nil, &cArgs, &cEnv)
        close(fds[1])
        precondition(rc == 0, "posix_spawn failed: \(rc)")
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: buf[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exit, String(decoding: out, as: UTF8.self))
    }

    /// `set -e; source FILE; printf %s "$KEY"` — what a script would read.
    static func sourcedValue(of key: String, in text: String, veid: String? = nil) -> (status: Int32, value: String) {
        let path = writeTemp(text)
        defer { unlink(path) }
        let prefix = veid.map { "VEID=\($0); " } ?? ""
        let r = run(script: "set -e; \(prefix)source \"$1\"; printf %s \"$\(key)\"", args: [path])
        return (r.status, r.stdout)
    }
}
