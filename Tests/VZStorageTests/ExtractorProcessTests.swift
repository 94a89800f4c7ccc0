import Glibc
import Testing
import VZConfig
import VZStorage
import VZSystem

/// The parent side of the handshake: what the helper gets (fds, env, cwd)
/// and how its endings are judged. The helper here is a shell standing in
/// for `vzextract`, so each ending can be forced.
@Suite struct ExtractorProcessTests {
    private func run(_ script: String, _ box: Sandbox) -> Result<ExtractStats, VZError> {
        do throws(VZError) {
            return .success(try TemplateExtractor.extract(
                archive: box.archive, into: box.staging, budget: .unlimited,
                helper: ["/bin/sh", "-c", script, "helper"]))
        } catch {
            return .failure(error)
        }
    }

    @Test func helperSeesOnlyItsFdsEnvAndStaging() throws {
        let box = try Sandbox("handshake")
        defer { box.close() }
        try AtomicFile.write(box.archive, "archive bytes\n")
        // A descriptor without O_CLOEXEC: closefrom must keep it out anyway.
        let leaky = open("/etc/hostname", O_RDONLY)
        defer { close(leaky) }
        #expect(leaky >= 0)
        // dash keeps copies of redirected fds at 10 and up while it runs a
        // redirection, so the listing is judged by number below 10 and by
        // target: none may be the parent's leaky descriptor.
        let script = #"ls -l /proc/$$/fd > fds; env > envs; cat <&0 > input; pwd -P > cwd; exit 0"#
        let r = run(script, box)
        guard case .failure(let e) = r else { Issue.record("a helper without a report must fail"); return }
        #expect(e.message.contains("without a report"))
        // `ls -l` lines end in "N -> target".
        let lines = try #require(try Files.readString(box.staging + "/fds")).split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count >= 3, f[f.count - 2] == "->" else { return nil }
            return "\(f[f.count - 3]) \(f[f.count - 1])"
        }
        let low = lines.compactMap { Int($0.split(separator: " ")[0]) }.filter { $0 < 10 }
        #expect(low.sorted() == [0, 1, 2, 3], "fds in the helper: \(lines)")
        #expect(!lines.contains { $0.hasSuffix(" /etc/hostname") }, "leaked: \(lines)")
        #expect(lines.contains { $0.hasPrefix("0 ") && $0.hasSuffix("/archive") }, "\(lines)")
        let env = try #require(try Files.readString(box.staging + "/envs")).split(separator: "\n").map(String.init)
        #expect(env.contains("LC_CTYPE=C.UTF-8"))
        #expect(!env.contains { $0.hasPrefix("PATH=") || $0.hasPrefix("HOME=") || $0.hasPrefix("LD_") }, "\(env)")
        #expect(try Files.readString(box.staging + "/input") == "archive bytes\n")
        let cwd = try #require(try Files.readString(box.staging + "/cwd"))
        #expect(cwd.hasSuffix("/staging\n"))
        try SafeRemove.removeTree(at: box.staging)
        #expect(mkdir(box.staging, 0o700) == 0)
        box.check()
    }

    @Test func helperKilledBySignalIsAnError() throws {
        let box = try Sandbox("signal")
        defer { box.close() }
        try AtomicFile.write(box.archive, "x")
        let r = run("kill -KILL $$", box)
        guard case .failure(let e) = r else { Issue.record("killed helper reported success"); return }
        #expect(e.code == .system)
        #expect(e.message.contains("signal 9"))
        box.check()
    }

    @Test func reportDecidesTheExitCode() throws {
        let box = try Sandbox("report")
        defer { box.close() }
        try AtomicFile.write(box.archive, "x")
        let record = #"vzextract 1\nok 0\ncode 46\nerrno 28\npath 2e2e2f78\nmessage 6e6f207370616365\nend\n"#
        let r = run("printf '\(record)' >&3; exit 46", box)
        guard case .failure(let e) = r else { Issue.record("expected failure"); return }
        #expect(e.code == .noDiskSpace)
        #expect(e.errno == ENOSPC)
        #expect(e.path == "../x")
        #expect(e.message == "no space")
        box.check()
    }

    @Test func successNeedsExitZeroAndAReport() throws {
        let box = try Sandbox("okrecord")
        defer { box.close() }
        try AtomicFile.write(box.archive, "x")
        let record = "vzextract 1\\nok 1\\nentries 3\\nbytes 10\\nskipped 0\\nwarnings 0\\nend\\n"
        #expect(try run("printf '\(record)' >&3; exit 0", box).get() == ExtractStats(entries: 3, bytes: 10))
        guard case .failure = run("printf '\(record)' >&3; exit 1", box) else {
            Issue.record("a success record with a failing exit status must not count"); return
        }
        box.check()
    }

    @Test func missingHelperAndMissingArchive() throws {
        let box = try Sandbox("missing")
        defer { box.close() }
        try AtomicFile.write(box.archive, "x")
        #expect(throws: VZError.self) {
            try TemplateExtractor.extract(archive: box.archive, into: box.staging, budget: .unlimited,
                                          helper: [box.base + "/no-such-helper"])
        }
        do throws(VZError) {
            try TemplateExtractor.extract(archive: box.base + "/none.tar.gz", into: box.staging, budget: .unlimited,
                                          helper: [Worker.path])
            Issue.record("missing archive accepted")
        } catch {
            #expect(error.code == .osTemplateNotFound)
        }
        box.check()
    }
}
