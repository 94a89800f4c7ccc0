import CArchive
import Glibc
import Testing
import VZConfig
import VZStorage
import VZSystem

/// Hostile templates (security guide §2.2): each must be refused with the
/// right exit code, leave nothing outside the staging directory, and leave
/// a staging directory that can be removed.
@Suite struct HostileArchiveTests {
    init() { Worker.require() }

    @Test func dotDotMemberRefused() throws {
        let box = try Sandbox("dotdot")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.file("../escaped", Array("pwned\n".utf8))
        try b.file("bin/../../canary/escaped2", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.base + "/escaped"))
        box.check()
    }

    @Test func absoluteMemberRefused() throws {
        let box = try Sandbox("abs")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, filter: .gzip)
        try b.shell()
        try b.file(box.canary + "/absolute", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.canary + "/absolute"))
        box.check()
    }

    @Test func writeThroughSymlinkRefused() throws {
        let box = try Sandbox("symlink")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.symlink("link", to: box.canary)
        try b.file("link/pwned", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.canary + "/pwned"))
        box.check()
    }

    @Test func relativeSymlinkEscapeRefused() throws {
        let box = try Sandbox("relsym")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.symlink("up", to: "../canary")
        try b.file("up/pwned", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.canary + "/pwned"))
        box.check()
    }

    @Test func directoryReplacedBySymlinkThenWrittenThroughRefused() throws {
        let box = try Sandbox("dirsym")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.dir("d", mode: 0o777)
        try b.symlink("d", to: box.canary)
        try b.file("d/pwned", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.canary + "/pwned"))
        box.check()
    }

    /// The deferred mode/time fix-ups libarchive applies to directories at
    /// close must not follow a symlink that replaced the directory
    /// (CVE-2021-31566 shape): the extraction itself is legitimate.
    @Test func directoryReplacedBySymlinkFixupsDoNotFollow() throws {
        let box = try Sandbox("dirfix")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.dir("d", mode: 0o777, uid: 4242, gid: 4242, mtime: 1_000_000)
        try b.symlink("d", to: box.canary)
        try b.finish()
        try box.extract()
        box.check()
    }

    /// The worker keeps its cwd in the parent of a run of files (see
    /// ParentDirectoryCache). A symlink that replaces an empty subdirectory
    /// of that cwd must still stop a later member written through it.
    @Test func symlinkSwappedInsideCachedDirectoryRefused() throws {
        let box = try Sandbox("cwdswap")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.dir("s")
        try b.dir("s/t")
        try b.file("s/f1", Array("a".utf8))  // cwd is now s
        try b.symlink("s/t", to: box.canary)  // replaces the empty dir s/t
        try b.file("s/f2", Array("b".utf8))
        try b.file("s/t/pwned", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.canary + "/pwned"))
        box.check()
    }

    /// Same, with the cwd inside the directory that later turns into a
    /// symlink one level up.
    @Test func symlinkSwappedAboveCachedDirectoryRefused() throws {
        let box = try Sandbox("cwdswap2")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.dir("p")
        try b.dir("p/q")
        try b.file("p/q/f", Array("a".utf8))  // cwd is now p/q
        try b.file("p/q/g", Array("a".utf8))
        try b.symlink("p2", to: box.canary)
        try b.file("p2/q/pwned", Array("pwned\n".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(!Files.exists(box.canary + "/q"))
        box.check()
    }

    @Test func hardlinkOutsideRefused() throws {
        for (i, target) in ["../x", "/etc/passwd", "link/keep"].enumerated() {
            let box = try Sandbox("hardlink\(i)")
            defer { box.close() }
            let b = try ArchiveBuilder(box.archive)
            try b.shell()
            try b.symlink("link", to: box.canary)
            try b.hardlink("h", to: target)
            try b.finish()
            box.expectFailure(.badTemplate)
            box.check()
        }
    }

    /// A hard link to an outside file followed by data for it (the
    /// CVE-2016-5418 shape: pax hardlink with data writes *into* the target).
    @Test func hardlinkWithDataRefused() throws {
        let box = try Sandbox("hldata")
        defer { box.close() }
        // Built by hand: a hardlink member that also carries a size and data.
        let c = try ArchiveBuilder(box.archive)
        try c.shell()
        let e = archive_entry_new()!
        defer { archive_entry_free(e) }
        archive_entry_copy_pathname(e, "h")
        archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
        archive_entry_set_perm(e, 0o644)
        archive_entry_copy_hardlink(e, "../x")
        archive_entry_set_size(e, 6)
        _ = archive_write_header(c.a, e)
        _ = archive_write_data(c.a, "pwned\n", 6)
        try c.finish()
        box.expectFailure(.badTemplate)
        box.check()
    }

    @Test func deviceNodesSkipped() throws {
        let box = try Sandbox("devices")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, filter: .xz)
        try b.shell()
        try b.dir("dev")
        try b.device("dev/sda", block: true, major: 8, minor: 0)
        try b.device("dev/mem", block: false, major: 1, minor: 1)
        try b.device("dev/kmsg", block: false, major: 1, minor: 11)
        try b.hardlink("dev/mem-again", to: "dev/mem")
        try b.fifo("dev/initctl")
        try b.finish()
        let stats = try box.extract()
        #expect(stats.skipped == 4)
        for name in ["sda", "mem", "kmsg", "mem-again"] {
            #expect(statNoFollow(box.staging + "/dev/" + name) == nil, "dev/\(name) was created")
        }
        // FIFOs are kept (see ExtractWorker: no host access through them).
        #expect(statNoFollow(box.staging + "/dev/initctl").map { $0.st_mode & S_IFMT == S_IFIFO } == true)
        box.check()
    }

    /// 2 GiB of zeros in one member, gzip-compressed to ~2 MB (concatenated
    /// gzip members of one 1 MiB block). The byte budget stops it at the header.
    @Test func zipBombStoppedByByteBudget() throws {
        let box = try Sandbox("zipbomb")
        defer { box.close() }
        let size: Int64 = 2 << 30
        var stream = try gzipMember(try memberHeader("big", size: size))
        let block = try gzipMember([UInt8](repeating: 0, count: 1 << 20))
        for _ in 0..<(size >> 20) { stream += block }
        stream += try gzipMember([UInt8](repeating: 0, count: 1024))  // end-of-archive blocks
        try AtomicFile.write(box.archive, stream)
        #expect(stream.count < 16 << 20)
        box.expectFailure(.noDiskSpace, budget: ExtractBudget(maxBytes: 64 << 20, maxEntries: 1000))
        #expect(statNoFollow(box.staging + "/big") == nil)
        box.check()
    }

    /// The same stream is a valid archive: with room for it, it extracts.
    /// That proves the bomb above was stopped by the budget, not by damage.
    @Test func zipBombWithinBudgetIsValid() throws {
        let box = try Sandbox("zipok")
        defer { box.close() }
        let size: Int64 = 8 << 20
        var stream = try gzipMember(try memberHeader("big", size: size))
        let block = try gzipMember([UInt8](repeating: 0, count: 1 << 20))
        for _ in 0..<(size >> 20) { stream += block }
        // A shell after the bomb, so the tree passes the init/shell check.
        stream += try gzipMember(shellMember())
        stream += try gzipMember([UInt8](repeating: 0, count: 1024))
        try AtomicFile.write(box.archive, stream)
        let stats = try box.extract(budget: ExtractBudget(maxBytes: 64 << 20, maxEntries: 1000))
        #expect(stats.bytes >= UInt64(size))
        #expect(statNoFollow(box.staging + "/big")?.st_size == Int(size))
        box.check()
    }

    /// A pax header claiming 1 TiB, followed by a little data (the archive
    /// is truncated, but the budget must stop it before that is noticed).
    @Test func hugeSizeFieldStoppedByByteBudget() throws {
        let box = try Sandbox("hugesize")
        defer { box.close() }
        var stream = try shellMember()
        stream += try memberHeader("terabyte", size: 1 << 40, format: .pax)
        stream += [UInt8](repeating: 0, count: 64 << 10)
        try AtomicFile.write(box.archive, stream)
        box.expectFailure(.noDiskSpace, budget: ExtractBudget(maxBytes: 1 << 30, maxEntries: 1000))
        #expect(statNoFollow(box.staging + "/terabyte") == nil)
        box.check()
    }

    /// The budget is an estimate; a file system that fills up anyway
    /// (ENOSPC from write) is 46 too. Staging is a 1 MiB tmpfs here.
    @Test func diskFullIs46() throws {
        let box = try Sandbox("enospc")
        defer { box.close() }
        guard mount("tmpfs", box.staging, "tmpfs", 0, "size=1m,mode=0700") == 0 else {
            Issue.record("cannot mount a tmpfs: \(errno)")
            return
        }
        var mounted = true
        defer { if mounted { _ = umount2(box.staging, Int32(MNT_DETACH)) } }
        let b = try ArchiveBuilder(box.archive, filter: .zstd)
        try b.shell()
        try b.zeros("big", size: 4 << 20)
        try b.finish()
        box.expectFailure(.noDiskSpace)
        #expect(umount2(box.staging, 0) == 0)
        mounted = false
        box.check()
    }

    @Test func inodeBombStoppedByEntryBudget() throws {
        let box = try Sandbox("inodebomb")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, format: .gnutar, filter: .zstd)
        try b.shell()
        try b.dir("many")
        for i in 0..<100_000 { try b.file("many/f\(i)") }
        try b.finish()
        box.expectFailure(.noDiskSpace, budget: ExtractBudget(maxBytes: 1 << 30, maxEntries: 10_000))
        #expect(Files.list(box.staging + "/many").count < 10_000)
        box.check()
    }

    @Test func badHeaderChecksumIsFatal() throws {
        let box = try Sandbox("checksum")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, format: .ustar)
        try b.shell()
        try b.file("etc-hostname", Array("ct\n".utf8))
        try b.file("after", Array("more\n".utf8))
        try b.finish()
        var bytes = try #require(try Files.read(box.archive))
        // Members: bin/ (512), bin/sh (512 + 512 data), etc-hostname header at 1536.
        let header = 1536
        #expect(String(decoding: bytes[header..<(header + 12)], as: UTF8.self) == "etc-hostname")
        bytes[header + 148] = bytes[header + 148] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        try AtomicFile.write(box.archive, bytes)
        box.expectFailure(.badTemplate)
        box.check()
    }

    @Test func truncatedArchiveIsFatal() throws {
        let box = try Sandbox("truncated")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, filter: .gzip)
        try b.shell()
        var junk = [UInt8](repeating: 0, count: 1 << 20)
        for i in junk.indices { junk[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        try b.file("big", junk)
        try b.finish()
        let bytes = try #require(try Files.read(box.archive))
        try AtomicFile.write(box.archive, Array(bytes[0..<(bytes.count / 2)]))
        box.expectFailure(.badTemplate)
        box.check()
    }

    @Test func overLongNameRefused() throws {
        let box = try Sandbox("longname")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.file(String(repeating: "n", count: 9000), Array("x".utf8))
        try b.finish()
        box.expectFailure(.badTemplate)
        box.check()
    }

    @Test(arguments: [ArchiveBuilder.Format.zip, .cpio])
    func nonTarFormatRefused(_ format: ArchiveBuilder.Format) throws {
        let box = try Sandbox("format")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, format: format)
        try b.shell()
        try b.finish()
        box.expectFailure(.badTemplate)
        #expect(Files.list(box.staging).isEmpty)
        box.check()
    }

    @Test func compressedNonTarRefused() throws {
        let box = try Sandbox("gzcpio")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive, format: .cpio, filter: .gzip)
        try b.shell()
        try b.finish()
        box.expectFailure(.badTemplate)
        box.check()
    }

    @Test func garbageRefused() throws {
        let box = try Sandbox("garbage")
        defer { box.close() }
        try AtomicFile.write(box.archive, "this is not an archive\n")
        box.expectFailure(.badTemplate)
        box.check()
    }

    @Test func templateWithoutInitOrShellRefused() throws {
        let box = try Sandbox("noinit")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.dir("etc")
        try b.file("etc/hostname", Array("ct\n".utf8))
        try b.dir("bin")
        try b.dir("bin/sh")  // a directory is not a shell
        try b.symlink("sbin", to: "/bin")  // resolves in-root only: no sbin/init there
        try b.finish()
        box.expectFailure(.badTemplate)
        box.check()
    }
}

/// A ustar member `bin/sh`, mode 0755, with a two-byte script, padded.
func shellMember() throws -> [UInt8] {
    let body = Array("#!".utf8)
    let a = archive_write_new()!
    defer { archive_write_free(a) }
    archive_write_set_format_ustar(a)
    archive_write_set_bytes_per_block(a, 0)
    var out = [UInt8](repeating: 0, count: 8192)
    var used = 0
    _ = out.withUnsafeMutableBytes { archive_write_open_memory(a, $0.baseAddress, $0.count, &used) }
    let e = archive_entry_new()!
    defer { archive_entry_free(e) }
    archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
    archive_entry_set_perm(e, 0o755)
    archive_entry_copy_pathname(e, "bin/sh")
    archive_entry_set_size(e, Int64(body.count))
    guard archive_write_header(a, e) == ARCHIVE_OK,
          archive_write_data(a, body, body.count) == body.count,
          archive_write_finish_entry(a) == ARCHIVE_OK else { throw ArchiveBuilder.BuildError(what: "shell member") }
    return Array(out[0..<used])
}
