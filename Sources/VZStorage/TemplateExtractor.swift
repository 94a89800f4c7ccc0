import CVZShim
import Glibc
import VZConfig
import VZSystem

/// Host side of template extraction: unpacks an OS template tarball into a
/// private staging directory by running `ExtractWorker` (the `vzextract` binary) in a child process.
///
///     vzctl (parent)                               helper (child)
///     ──────────────                               ──────────────
///     open template, staging dir, pipe2(CLOEXEC)
///     posix_spawn(helper + options) ───────────►   fd 0 = template
///       file actions: fchdir(staging),             fd 1,2 = parent's stderr
///       dup2 → 0/1/3, closefrom(4)                 fd 3 = result pipe (write end)
///       signals default, mask empty                cwd = staging, env LC_CTYPE=C.UTF-8
///                                                  PR_SET_PDEATHSIG(SIGKILL)
///     close own copy of the write end
///     read pipe until EOF  ◄────── one record ──── extract, verify, write(3, report)
///     waitpid ◄──────────────────────── exit ───── exit(code)
///     signal → error; no/garbled record → error; else the record decides
///
/// The child gets nothing else: no other fd (a CT lock fd must never leak
/// into anything), no environment beyond the locale, so nothing of the
/// admin's shell (LD_PRELOAD, TMPDIR, LANG) reaches libarchive.
public enum TemplateExtractor {
    /// Extracts `archive` into the existing, empty directory `staging` (mode
    /// 0700, on the file system of the final private area; the caller
    /// created it and removes it with `SafeRemove` on failure).
    ///
    /// - Parameters:
    ///   - helper: the argv prefix that runs `ExtractWorker.main`: the
    ///     `vzextract` binary (which alone links libarchive).
    ///   - budget: byte and entry limits (46 when exceeded).
    ///   - progress: draw a percentage on stderr (stderr a terminal, not --quiet).
    /// - Throws: 47 bad template (unreadable, not tar, damaged, an escape
    ///   attempt, no init/shell), 46 no space (budget, ENOSPC, EDQUOT),
    ///   91 when `archive` vanished, 3 system errors (spawn failed, helper
    ///   killed by a signal).
    ///
    /// Blocks until the helper exits. The helper sets PR_SET_PDEATHSIG, which
    /// fires when the spawning *thread* ends, so call this from a thread that
    /// outlives the extraction (vzctl's main thread).
    @discardableResult
    public static func extract(
        archive: String, into staging: String, budget: ExtractBudget, progress: Bool = false, helper: [String]
    ) throws(VZError) -> ExtractStats {
        guard let program = helper.first, !program.isEmpty else {
            throw VZError(.system, "no template extraction helper given")
        }
        let input: FileDescriptor
        switch sysResult({ open(archive, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }) {
        case .success(let fd): input = FileDescriptor(owning: fd)
        case .failure(Errno(ENOENT)): throw VZError(.osTemplateNotFound, "Cached OS template \(archive) not found")
        case .failure(let e): throw e.error(.system, "Cannot open OS template", path: archive)
        }
        // O_NONBLOCK only so that opening a FIFO planted in the cache cannot
        // hang; a regular file ignores it.
        guard try input.stat().st_mode & S_IFMT == S_IFREG else {
            throw VZError(.badTemplate, "OS template is not a regular file", path: archive)
        }
        let dir = try FileDescriptor.open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, code: .cannotCreatePrivate)

        var pipeFds: [Int32] = [-1, -1]
        _ = try sys("pipe2") { vz_pipe2(&pipeFds, O_CLOEXEC) }
        let readEnd = FileDescriptor(owning: pipeFds[0])
        // Raw fds the parent must close right after the spawn: the write end
        // (or the read below would never see EOF) and the duplicates.
        var transient: [Int32] = [pipeFds[1]]
        defer { transient.forEach { _ = close($0) } }
        // Sources of the dup2s are moved to fds >= 4 first, so no file action
        // can overwrite a descriptor a later one still needs.
        var src: [Int32] = []
        for fd in [input.raw, dir.raw, pipeFds[1]] {
            let d = try sys("fcntl F_DUPFD_CLOEXEC") { fcntl(fd, F_DUPFD_CLOEXEC, 4) }
            transient.append(d)
            src.append(d)
        }
        let options = ExtractOptions(
            resultFd: 3, maxBytes: budget.maxBytes, maxEntries: budget.maxEntries, progress: progress,
            parentPid: getpid())
        let pid = try spawn(program, helper + options.arguments, archiveFd: src[0], dirFd: src[1], resultFd: src[2])
        transient.forEach { _ = close($0) }
        transient = []
        let record = readToEnd(readEnd.raw)
        let status = waitFor(pid)
        return try outcome(status: status, record: record, archive: archive)
    }

    // MARK: - spawn

    private static func spawn(_ program: String, _ args: [String], archiveFd: Int32, dirFd: Int32, resultFd: Int32) throws(VZError) -> pid_t {
        var fa = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        posix_spawn_file_actions_init(&fa)
        posix_spawnattr_init(&attr)
        defer {
            posix_spawn_file_actions_destroy(&fa)
            posix_spawnattr_destroy(&attr)
        }
        var r = vz_spawn_addfchdir(&fa, dirFd)
        if r == 0 { r = posix_spawn_file_actions_adddup2(&fa, archiveFd, 0) }
        if r == 0, fcntl(2, F_GETFD) >= 0 { r = posix_spawn_file_actions_adddup2(&fa, 2, 1) }
        if r == 0 { r = posix_spawn_file_actions_adddup2(&fa, resultFd, 3) }
        if r == 0 { r = vz_spawn_addclosefrom(&fa, 4) }
        // vzctl ignores SIGPIPE and callers may block signals; neither may
        // reach the helper.
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        if r == 0 { r = posix_spawnattr_setsigdefault(&attr, &all) }
        if r == 0 { r = posix_spawnattr_setsigmask(&attr, &none) }
        if r == 0 { r = posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) }
        guard r == 0 else { throw VZError(.system, "posix_spawn setup", errno: r) }

        let argv = args.map { strdup($0) } + [nil]
        let envp = [strdup("LC_CTYPE=C.UTF-8"), nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let e = posix_spawn(&pid, program, &fa, &attr, argv, envp)
        guard e == 0 else {
            throw VZError(.system, "Cannot start the template extraction helper", errno: e, path: program)
        }
        return pid
    }

    private static func readToEnd(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 65536 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out += buf[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return out
    }

    /// waitpid, retried on EINTR. The raw wait status.
    private static func waitFor(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return status
    }

    private static func outcome(status: Int32, record: [UInt8], archive: String) throws(VZError) -> ExtractStats {
        if status == -1 {
            throw VZError(.system, "Cannot wait for the template extraction helper", errno: ECHILD)
        }
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f {
            throw VZError(.system, "Template extraction helper was killed by signal \(signal)", path: archive)
        }
        let exitCode = (status >> 8) & 0xff
        switch ExtractReport.decode(record) {
        case .success(let stats)?:
            guard exitCode == 0 else { break }
            return stats
        case .failure(let code, let errno, let path, let message)?:
            let shownPath = path.map { display($0) }
            throw VZError(ExitCode(rawValue: code) ?? .system, message, errno: errno, path: shownPath)
        case nil:
            break
        }
        throw VZError(ExitCode(rawValue: exitCode) ?? .system,
                      "Template extraction helper exited with status \(exitCode) without a report", path: archive)
    }
}
