import CArchive
import Glibc

/// Reads the template (fd 0) on a second thread, decompressing it when it
/// is compressed, and hands the tar stream to the extracting thread in
/// large buffers. Decompression (zlib, liblzma, libzstd through libarchive's
/// filters with the *raw* format) then runs on the second core while the
/// main thread creates files, as GNU tar gets from its `zstd -d` child, but
/// without a pipe: a filled buffer is handed over by pointer.
///
///     producer thread                          main thread (tar reader)
///     ───────────────                          ────────────────────────
///     take a free slot ◄──── free ring ◄────── read callback returns the
///     fill it (archive_read_data                previous slot, then takes
///       on the raw reader, or read(2))          the next filled one; the
///     publish it ──────────► filled ring ─────► pointer stays valid until
///     …                                         libarchive calls back again
///     EOF / error: mark done, wake ──────────► 0 (EOF) / -1 (error)
///
/// The producer creates no files, so libarchive's process-wide umask dance
/// in the writer (CVE-2023-30571) cannot hurt it. When the main thread fails
/// it reports and the process exits; the producer is never joined.
final class DecompressPipeline: @unchecked Sendable {
    /// Compression found at the start of the input, or nil for a plain tar.
    let filterName: String?

    private static let slotSize = 1 << 20
    private static let slotCount = 8

    private let raw: OpaquePointer?
    private let slots: [UnsafeMutableRawPointer]
    private var lengths: [Int]
    private var positions: [Int64]
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Rings of slot indices, guarded by `lock`.
    private var filled: [Int] = []
    private var free: [Int] = []
    private var done = false
    private var failure: (message: String, errno: Int32)?
    /// Slot the consumer holds (valid until its next callback). Main thread only.
    private var held: Int?
    /// Compressed input bytes consumed up to the data handed out last. Main thread only.
    private(set) var inputPosition: Int64 = 0

    /// Probes fd 0 for a compression filter (gzip, xz, bzip2, zstd; never
    /// `_all`: every extra decoder is attack surface). Fails only when the
    /// start of the input is a recognised but broken compressed stream.
    init() throws(PipelineError) {
        guard let a = archive_read_new() else { throw PipelineError(message: "out of memory", errno: ENOMEM) }
        archive_read_support_format_raw(a)
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_xz(a)
        archive_read_support_filter_bzip2(a)
        archive_read_support_filter_zstd(a)
        var entry: OpaquePointer?
        var r = archive_read_open_fd(a, 0, Self.slotSize)
        if r == ARCHIVE_OK { r = archive_read_next_header(a, &entry) }
        if r != ARCHIVE_OK && r != ARCHIVE_EOF {
            let e = PipelineError(reader: a)
            archive_read_free(a)
            throw e
        }
        if r == ARCHIVE_OK && archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE {
            raw = a
            filterName = archive_filter_name(a, 0).map { String(cString: $0) }
        } else {
            // Plain tar: read(2) straight into the slots, one copy fewer.
            archive_read_free(a)
            raw = nil
            filterName = nil
            guard lseek(0, 0, SEEK_SET) == 0 else { throw PipelineError(message: "cannot rewind the template", errno: errno) }
        }
        slots = (0..<Self.slotCount).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: Self.slotSize, alignment: 4096)
        }
        lengths = Array(repeating: 0, count: Self.slotCount)
        positions = Array(repeating: 0, count: Self.slotCount)
        free = Array(0..<Self.slotCount)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    /// Starts the producer thread.
    func start() throws(PipelineError) {
        var tid = pthread_t()
        let ctx = Unmanaged.passRetained(self).toOpaque()
        let r = pthread_create(&tid, nil, { ctx in
            let p = Unmanaged<DecompressPipeline>.fromOpaque(ctx!).takeRetainedValue()
            p.produce()
            return nil
        }, ctx)
        guard r == 0 else {
            Unmanaged<DecompressPipeline>.fromOpaque(ctx).release()
            throw PipelineError(message: "cannot start the decompression thread", errno: r)
        }
        pthread_detach(tid)
    }

    /// The error that ended the input early, if any (read after the tar
    /// reader failed, to report the cause rather than libarchive's echo).
    var inputFailure: PipelineError? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return failure.map { PipelineError(message: $0.message, errno: $0.errno) }
    }

    /// Opens `tar` (a reader with the tar format only) on this pipeline.
    func open(_ tar: OpaquePointer) -> Int32 {
        archive_read_open(tar, Unmanaged.passUnretained(self).toOpaque(), nil, { _, ctx, out in
            Unmanaged<DecompressPipeline>.fromOpaque(ctx!).takeUnretainedValue().next(out!)
        }, nil)
    }

    // MARK: - consumer (main thread)

    private func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let h = held {
            free.append(h)
            held = nil
            pthread_cond_signal(notFull)
        }
        while filled.isEmpty && !done {
            pthread_cond_wait(notEmpty, lock)
        }
        if !filled.isEmpty {
            let s = filled.removeFirst()
            held = s
            inputPosition = positions[s]
            out.pointee = UnsafeRawPointer(slots[s])
            return lengths[s]
        }
        out.pointee = nil
        return failure == nil ? 0 : -1
    }

    // MARK: - producer (second thread)

    private func produce() {
        while true {
            pthread_mutex_lock(lock)
            while free.isEmpty { pthread_cond_wait(notFull, lock) }
            let s = free.removeLast()
            pthread_mutex_unlock(lock)

            var len = 0
            var eof = false
            var error: (String, Int32)?
            while len < Self.slotSize {
                let n: Int
                if let raw {
                    n = archive_read_data(raw, slots[s] + len, Self.slotSize - len)
                    if n < 0 {
                        let e = PipelineError(reader: raw)
                        error = (e.message, e.errno)
                        break
                    }
                } else {
                    n = read(0, slots[s] + len, Self.slotSize - len)
                    if n < 0 {
                        if errno == EINTR { continue }
                        error = ("cannot read the template", errno)
                        break
                    }
                }
                if n == 0 { eof = true; break }
                len += n
            }
            let pos = raw.map { archive_filter_bytes($0, -1) } ?? Int64(lseek(0, 0, SEEK_CUR))

            pthread_mutex_lock(lock)
            if len > 0 {
                lengths[s] = len
                positions[s] = pos
                filled.append(s)
            } else {
                free.append(s)
            }
            if let error { failure = (error.0, error.1) }
            if eof || error != nil { done = true }
            pthread_cond_signal(notEmpty)
            pthread_mutex_unlock(lock)
            if eof || error != nil { return }
        }
    }
}

/// A decompression or read failure, with libarchive's message.
struct PipelineError: Error {
    var message: String
    var errno: Int32

    init(message: String, errno: Int32) {
        self.message = message
        self.errno = errno
    }

    init(reader a: OpaquePointer) {
        message = archive_error_string(a).map { String(cString: $0) } ?? "unreadable template"
        let e = archive_errno(a)
        errno = e > 0 ? e : 0
    }
}
