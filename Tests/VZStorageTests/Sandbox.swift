import Glibc
import Testing
import VZConfig
import VZStorage
import VZSystem

/// One test's world: `base/` holds the private `staging/` directory the
/// extraction writes into, a `canary/` directory and a file `x` next to it
/// (what `../x` would reach), and the archive. `check()` proves that nothing
/// outside `staging/` changed, /etc/passwd included; `close()` removes it all.
final class Sandbox {
    let base: String
    var staging: String { base + "/staging" }
    var canary: String { base + "/canary" }
    var archive: String { base + "/archive" }
    private let before: Snapshot

    init(_ label: String) throws {
        var template = Array("/tmp/vzst-\(label).XXXXXX".utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw VZError(.system, "mkdtemp", errno: errno)
        }
        base = String(cString: p)
        #expect(mkdir(base + "/staging", 0o700) == 0)
        #expect(mkdir(base + "/canary", 0o755) == 0)
        try AtomicFile.write(base + "/canary/keep", "canary\n")
        try AtomicFile.write(base + "/x", "outside\n")
        before = Snapshot(base: base)
    }

    /// Runs the real worker (`vzextract`) on `archive` into `staging`.
    @discardableResult
    func extract(budget: ExtractBudget = ExtractBudget(maxBytes: 1 << 30, maxEntries: 100_000)) throws(VZError) -> ExtractStats {
        try TemplateExtractor.extract(archive: archive, into: staging, budget: budget, progress: false,
                                      helper: [Worker.path])
    }

    /// Extraction must fail with `code`.
    func expectFailure(_ code: ExitCode, budget: ExtractBudget = ExtractBudget(maxBytes: 1 << 30, maxEntries: 100_000),
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(VZError) {
            let stats = try extract(budget: budget)
            Issue.record("extraction succeeded, expected exit code \(code.rawValue): \(stats)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    /// Nothing outside staging changed, and staging can be removed.
    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        let after = Snapshot(base: base)
        #expect(after == before, "something outside the staging directory changed", sourceLocation: sourceLocation)
        do throws(VZError) {
            try SafeRemove.removeTree(at: staging)
        } catch {
            Issue.record("staging not removable: \(error)", sourceLocation: sourceLocation)
        }
        #expect(!Files.exists(staging), sourceLocation: sourceLocation)
    }

    func close() {
        do { try SafeRemove.removeTree(at: base) } catch { Issue.record("cleanup of \(base): \(error)") }
    }

    deinit { if Files.exists(base) { close() } }
}

/// What must never change: every entry of `base` except staging (names,
/// types, modes, owners, mtimes, link counts, contents) and /etc/passwd.
struct Snapshot: Equatable {
    var entries: [String] = []

    init(base: String) {
        for name in Files.list(base).sorted() where name != "staging" && name != "archive" {
            entries.append(describe(base + "/" + name, name))
            if name == "canary" {
                for sub in Files.list(base + "/canary").sorted() {
                    entries.append(describe(base + "/canary/" + sub, "canary/" + sub))
                }
            }
        }
        entries.append(describe("/etc/passwd", "/etc/passwd"))
    }

    private func describe(_ path: String, _ shown: String) -> String {
        guard let st = statNoFollow(path) else { return "\(shown) missing" }
        var s = "\(shown) mode=\(String(st.st_mode, radix: 8)) uid=\(st.st_uid) gid=\(st.st_gid) nlink=\(st.st_nlink) ino=\(st.st_ino) mtime=\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) size=\(st.st_size)"
        if st.st_mode & S_IFMT == S_IFREG, let data = try? Files.read(path) { s += " data=\(data.hashValue)" }
        return s
    }
}

/// The `vzctl` executable SwiftPM builds next to the test bundle.
enum Worker {
    static let path: String = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        precondition(n > 0, "readlink /proc/self/exe failed")
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Files.dirname(exe) + "/vzextract"
    }()

    /// Fails the test (never skips) when the executable is missing.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(access(path, X_OK) == 0, "vzextract executable not found at \(path): build it (swift build) before swift test",
                sourceLocation: sourceLocation)
    }
}
