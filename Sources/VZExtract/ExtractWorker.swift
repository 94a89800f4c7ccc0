import CArchive
import CVZShim
import VZStorage
import Glibc
import VZConfig

/// The child side of template extraction: `vzextract OPTIONS`, started
/// by `TemplateExtractor` with
///
/// * fd 0 = the template file, fd 1 and 2 = the parent's stderr,
///   fd 3 = the result pipe (`--result-fd`), nothing else open;
/// * the current directory = the empty private staging directory (0700);
/// * the environment `LC_CTYPE=C.UTF-8` only.
///
/// A process of its own because libarchive resolves member names against the
/// *process's* cwd (so: chdir into staging, relative names only) and flips
/// the process-wide umask for every header (CVE-2023-30571). Rules, from the
/// security guide §2.3:
///
/// * tar formats only, filters gzip/xz/bzip2/zstd only;
/// * `OWNER|PERM|TIME|XATTR|ACL|SECURE_SYMLINKS|SECURE_NODOTDOT|SECURE_NOABSOLUTEPATHS`,
///   no UNLINK (with SECURE_SYMLINKS it would delete the offending symlink and
///   carry on) and no `set_standard_lookup` (numeric ids are kept as they are);
/// * block and character devices (and sockets) are skipped and named in one
///   warning line: a debootstrap-made tree has a few in /dev, and the runtime
///   builds /dev itself. FIFOs are kept: a FIFO gives no access to anything
///   outside the container, and templates carry some (sysvinit's
///   `/dev/initctl`, which vzctl's stop path talks to);
/// * a header the reader had to retry (bad checksum: bsdtar then exits 0 with
///   the member silently missing) or anything worse is fatal (47); warnings
///   are printed and counted;
/// * extended attributes: `user.*` and `security.capability` only (see
///   `filterXattrs`);
/// * byte and entry budgets are checked against each header before it is
///   written (46), as is ENOSPC/EDQUOT while writing;
/// * afterwards the tree must contain an init or a shell (47, see `verify`).
///
/// Speed: decompression runs on a second thread (`DecompressPipeline`) and
/// the writer works relative to each member's parent directory
/// (`ParentDirectoryCache`); nothing is fsync'ed (a syncfs is the caller's
/// choice).
public enum ExtractWorker {
    public static func main(arguments: [String]) -> Int32 {
        guard let options = ExtractOptions(arguments) else {
            writeStderr("vzextract: internal helper of vzctl create, bad arguments: \(arguments)\n")
            return ExitCode.invalidSyntax.rawValue
        }
        // If vzctl dies, so does the extraction: the CT lock died with vzctl
        // (the worker holds no fd of it), and the next create's garbage
        // collection may start removing this staging directory.
        if options.parentPid > 0 {
            _ = vz_set_pdeathsig(SIGKILL)
            if getppid() != options.parentPid { return ExitCode.system.rawValue }
        }
        var job = ExtractJob(options: options)
        let outcome: ExtractReport.Outcome
        do {
            outcome = .success(try job.run())
        } catch {
            job.progress.abandon()
            outcome = .failure(code: error.code.rawValue, errno: error.errno, path: error.pathBytes, message: error.message)
        }
        let record = ExtractReport.encode(outcome)
        _ = record.withUnsafeBytes { write(options.resultFd, $0.baseAddress, $0.count) }
        if case .failure(let code, _, _, _) = outcome { return code }
        return 0
    }
}

/// A failure inside the worker; the path is kept as bytes (a member name).
struct WorkerError: Error {
    var code: ExitCode
    var message: String
    var errno: Int32?
    var pathBytes: [UInt8]?

    init(_ code: ExitCode, _ message: String, errno: Int32? = nil, path: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.errno = errno.flatMap { $0 > 0 ? $0 : nil }
        self.pathBytes = path
    }
}

private struct ExtractJob {
    let options: ExtractOptions
    var progress: ProgressLine
    var stats = ExtractStats()
    var skippedNames: [[UInt8]] = []
    var skippedSet: Set<[UInt8]> = []
    var printedWarnings = 0
    var droppedXattrs: UInt64 = 0

    static let flags: Int32 = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME
        | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS
        | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS

    init(options: ExtractOptions) {
        self.options = options
        var st = stat()
        let total = fstat(0, &st) == 0 ? Int64(st.st_size) : 0
        progress = ProgressLine(enabled: options.progress, total: total)
    }

    mutating func run() throws(WorkerError) -> ExtractStats {
        // libarchive converts pax UTF-8 names to the locale's charset; under
        // "C" non-ASCII names would warn and be mangled.
        guard setlocale(LC_CTYPE, "C.UTF-8") != nil else {
            throw WorkerError(.system, "cannot set the C.UTF-8 locale for extraction")
        }
        // Directories libarchive creates implicitly (parents missing from the
        // archive) get 0755, whatever umask the admin's shell had.
        umask(0o022)
        var st = stat()
        guard fstat(0, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw WorkerError(.system, "template input is not a regular file")
        }
        _ = posix_fadvise(0, 0, 0, POSIX_FADV_SEQUENTIAL)

        let pipeline: DecompressPipeline
        do {
            pipeline = try DecompressPipeline()
            try pipeline.start()
        } catch {
            throw WorkerError(.badTemplate, "Bad template: \(error.message)", errno: error.errno)
        }
        guard let reader = archive_read_new(), let writer = archive_write_disk_new() else {
            throw WorkerError(.resource, "out of memory")
        }
        archive_read_support_format_tar(reader)
        if pipeline.open(reader) != ARCHIVE_OK {
            throw readFailure(reader, pipeline, name: nil)
        }
        archive_write_disk_set_options(writer, Self.flags)
        var cwd = ParentDirectoryCache()
        guard cwd.usable else { throw WorkerError(.system, "cannot open the staging directory", errno: errno) }

        var entry: OpaquePointer?
        while true {
            let r = archive_read_next_header(reader, &entry)
            if r == ARCHIVE_EOF { break }
            guard r >= ARCHIVE_WARN, r != ARCHIVE_RETRY, let entry else {
                throw readFailure(reader, pipeline, name: nil)
            }
            let name = bytes(archive_entry_pathname(entry))
            if r == ARCHIVE_WARN { warn(name, reader) }
            try admit(entry, name)
            if skip(entry, name) { continue }

            filterXattrs(entry)
            // Files, symlinks and FIFOs go in relative to their parent
            // directory; everything else by its full name from the root.
            if archive_entry_filetype(entry) != S_IFDIR, archive_entry_hardlink(entry) == nil,
               let (parent, base) = ParentDirectoryCache.split(name), cwd.enter(parent) {
                archive_entry_copy_pathname(entry, base.map { CChar(bitPattern: $0) } + [0])
            } else {
                cwd.reset()
            }
            try check(archive_write_header(writer, entry), writer, name)
            if archive_entry_size(entry) > 0 {
                try copyData(reader, writer, pipeline, name)
            }
            try check(archive_write_finish_entry(writer), writer, name)
            progress.update(pipeline.inputPosition)
        }
        cwd.reset()  // fix-ups and the check below are root-relative
        // Applies the deferred directory modes and times. libarchive ≥ 3.6.0
        // reopens each with O_NOFOLLOW and checks its type first
        // (CVE-2021-31566), so a directory later replaced by a symlink is not
        // followed; the "dir replaced by symlink" test holds it to that.
        try check(archive_write_close(writer), writer, [])
        progress.finish()
        reportSkipped()
        try verify()
        return stats
    }

    /// Budgets, checked against the header before anything is written. Sizes
    /// of skipped members count too: their data still has to be decompressed.
    private mutating func admit(_ entry: OpaquePointer, _ name: [UInt8]) throws(WorkerError) {
        stats.entries += 1
        if stats.entries > options.maxEntries {
            throw WorkerError(.noDiskSpace, "Not enough disk space: the template has more than \(options.maxEntries) entries (inode budget)")
        }
        let size = archive_entry_size_is_set(entry) != 0 ? UInt64(max(0, archive_entry_size(entry))) : 0
        let (sum, overflow) = stats.bytes.addingReportingOverflow(size)
        if overflow || sum > options.maxBytes {
            throw WorkerError(.noDiskSpace, "Not enough disk space: the template needs more than \(options.maxBytes) bytes (size budget)", path: name)
        }
        stats.bytes = sum
    }

    /// Keeps only `user.*` and `security.capability` (ping's file caps).
    /// `trusted.*` is host-privileged metadata (overlayfs trusts
    /// `trusted.overlay.redirect`/`metacopy`/`origin` on its layers), and
    /// `security.selinux`/`evm`/`ima` labels are the host's policy, not the
    /// template's; `system.*` ACLs arrive through the ACL records instead.
    private mutating func filterXattrs(_ entry: OpaquePointer) {
        guard archive_entry_xattr_count(entry) > 0 else { return }
        var kept: [(String, [UInt8])] = []
        var dropped = 0
        archive_entry_xattr_reset(entry)
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            if key.hasPrefix("user.") || key == "security.capability" {
                kept.append((key, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
            } else {
                dropped += 1
            }
        }
        guard dropped > 0 else { return }
        droppedXattrs += UInt64(dropped)
        archive_entry_xattr_clear(entry)
        for (k, v) in kept {
            v.withUnsafeBytes { archive_entry_xattr_add_entry(entry, k, $0.baseAddress, $0.count) }
        }
    }

    /// Device nodes and sockets are left out, and so is a hard link to one.
    private mutating func skip(_ entry: OpaquePointer, _ name: [UInt8]) -> Bool {
        let type = archive_entry_filetype(entry)
        var drop = type == S_IFBLK || type == S_IFCHR || type == S_IFSOCK
        if !drop, let target = archive_entry_hardlink(entry), skippedSet.contains(bytes(target)) {
            drop = true
        }
        guard drop else { return false }
        stats.skipped += 1
        skippedSet.insert(name)
        if skippedNames.count < 20 { skippedNames.append(name) }
        return true
    }

    private mutating func copyData(_ reader: OpaquePointer, _ writer: OpaquePointer, _ pipeline: DecompressPipeline, _ name: [UInt8]) throws(WorkerError) {
        var buf: UnsafeRawPointer?
        var len = 0
        var offset: Int64 = 0
        while true {
            let r = archive_read_data_block(reader, &buf, &len, &offset)
            if r == ARCHIVE_EOF { return }
            if r < ARCHIVE_WARN || r == ARCHIVE_RETRY { throw readFailure(reader, pipeline, name: name) }
            if r == ARCHIVE_WARN { warn(name, reader) }
            let w = archive_write_data_block(writer, buf, len, offset)
            if w < ARCHIVE_OK { try check(Int32(truncatingIfNeeded: w), writer, name) }
        }
    }

    /// Maps a writer status. Disk full and quota are 46; host trouble (I/O,
    /// read-only, out of memory or descriptors) is 3; anything else means
    /// the template asked for something refused (an escape through `..`, an
    /// absolute name, a symlink, an over-long name): 47.
    private mutating func check(_ r: Int32, _ writer: OpaquePointer, _ name: [UInt8]) throws(WorkerError) {
        if r == ARCHIVE_OK { return }
        let e = archive_errno(writer)
        let text = archive_error_string(writer).map { String(cString: $0) } ?? "error \(r)"
        if e == ENOSPC || e == EDQUOT {
            throw WorkerError(.noDiskSpace, "Not enough disk space to extract the template", errno: e, path: name.isEmpty ? nil : name)
        }
        if r == ARCHIVE_WARN {
            warn(name, text)
            return
        }
        let shown = name.isEmpty ? "" : " '\(display(name))'"
        switch e {
        case EIO, EROFS, ENOMEM, EMFILE, ENFILE:
            throw WorkerError(.system, "Cannot extract\(shown): \(text)", errno: e, path: name)
        default:
            throw WorkerError(.badTemplate, "Bad template: refusing member\(shown): \(text)", errno: e, path: name)
        }
    }

    private func readFailure(_ reader: OpaquePointer, _ pipeline: DecompressPipeline, name: [UInt8]?) -> WorkerError {
        if let cause = pipeline.inputFailure {
            let code: ExitCode = cause.errno == EIO ? .system : .badTemplate
            return WorkerError(code, "Bad template: \(cause.message)", errno: cause.errno, path: name)
        }
        let text = archive_error_string(reader).map { String(cString: $0) } ?? "unreadable archive"
        let where_ = name.map { " (in '\(display($0))')" } ?? ""
        // libarchive reports format problems with EILSEQ (its
        // ARCHIVE_ERRNO_FILE_FORMAT) or EINVAL; only real I/O errnos help.
        let e = archive_errno(reader)
        return WorkerError(.badTemplate, "Bad template: \(text)\(where_)", errno: e == EILSEQ || e == EINVAL ? nil : e, path: name)
    }

    // MARK: - after extraction

    /// vzctl returns 47 when it cannot exec the container's init (it tries
    /// /sbin/init, /etc/init, /bin/init) or, for enter/exec, a shell
    /// (/bin/bash, /bin/sh). A template with none of them can never be used,
    /// so create refuses it up front. Each candidate is resolved inside the
    /// staging tree with RESOLVE_IN_ROOT (merged-usr `bin -> usr/bin` and an
    /// absolute `sbin/init -> /lib/systemd/systemd` resolve as they will in
    /// the container; nothing resolves outside it) and must end in an
    /// executable regular file. Debian minbase has no init, hence "or".
    private func verify() throws(WorkerError) {
        let root = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw WorkerError(.system, "cannot open the staging directory", errno: errno) }
        defer { close(root) }
        for candidate in ["sbin/init", "etc/init", "bin/init", "bin/sh", "bin/bash"] {
            let fd = vz_openat2(root, candidate, UInt64(VZ_O_PATH | O_CLOEXEC), 0,
                                VZ_RESOLVE_IN_ROOT | VZ_RESOLVE_NO_MAGICLINKS)
            guard fd >= 0 else { continue }
            var st = stat()
            let ok = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && st.st_mode & 0o111 != 0
            close(fd)
            if ok { return }
        }
        throw WorkerError(.badTemplate, "Bad template: neither /sbin/init nor /bin/sh found in it")
    }

    // MARK: - messages

    private mutating func warn(_ name: [UInt8], _ reader: OpaquePointer) {
        warn(name, archive_error_string(reader).map { String(cString: $0) } ?? "warning")
    }

    private mutating func warn(_ name: [UInt8], _ text: String) {
        stats.warnings += 1
        printedWarnings += 1
        if printedWarnings <= 10 {
            progress.interrupt()
            let subject = name.isEmpty ? "" : "\(display(name)): "
            writeStderr("Warning: \(subject)\(text)\n")
        } else if printedWarnings == 11 {
            writeStderr("Warning: further template warnings are not shown\n")
        }
    }

    private mutating func reportSkipped() {
        if droppedXattrs > 0 {
            stats.warnings += 1
            writeStderr("Warning: dropped \(droppedXattrs) extended attribute(s) other than user.* and security.capability from the template\n")
        }
        guard stats.skipped > 0 else { return }
        var line = "Warning: skipped \(stats.skipped) device node(s) in the template: "
        line += skippedNames.map(display).joined(separator: ", ")
        if stats.skipped > UInt64(skippedNames.count) { line += ", …" }
        writeStderr(line + "\n")
    }
}

/// `Extracting template: NN%` on one line, redrawn when the percentage of
/// compressed bytes read changes. Only when the parent asked (stderr is a
/// terminal and not --quiet).
struct ProgressLine {
    let enabled: Bool
    let total: Int64
    var shown = -1

    init(enabled: Bool, total: Int64) {
        self.enabled = enabled
        self.total = total
    }

    mutating func update(_ position: Int64) {
        guard enabled, total > 0 else { return }
        let pct = Int(min(100, max(0, position * 100 / total)))
        if pct != shown {
            shown = pct
            writeStderr("\rExtracting template: \(pct)%")
        }
    }

    mutating func finish() {
        guard enabled else { return }
        writeStderr(shown == 100 ? "\n" : "\rExtracting template: 100%\n")
        shown = -1
    }

    /// Ends the line before a warning or error is printed below it.
    mutating func interrupt() {
        guard enabled, shown >= 0 else { return }
        writeStderr("\n")
        shown = -1
    }

    mutating func abandon() { interrupt() }
}

func writeStderr(_ s: String) {
    let b = Array(s.utf8)
    _ = b.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

private func bytes(_ p: UnsafePointer<CChar>?) -> [UInt8] {
    guard let p else { return [] }
    return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
}

