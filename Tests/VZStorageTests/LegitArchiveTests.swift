import CArchive
import Glibc
import Testing
import VZConfig
import VZStorage
import VZSystem

/// A legitimate template must come out exactly as packed: no
/// over-sanitising (security guide §2.2, last row).
@Suite struct LegitArchiveTests {
    init() { Worker.require() }

    /// `security.capability` v2: CAP_NET_RAW permitted and effective, as
    /// Debian's ping carries it.
    static let netRawCapability: [UInt8] = [0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0] + [UInt8](repeating: 0, count: 12)
    static let nonUTF8: [UInt8] = Array("caf".utf8) + [0xE9, 0xFF] + Array("-name".utf8)
    static let wide = "naïve-ü-日本"

    static func build(_ path: String, format: ArchiveBuilder.Format, filter: ArchiveBuilder.Filter) throws {
        let b = try ArchiveBuilder(path, format: format, filter: filter)
        try b.dir("bin")
        try b.file("bin/busybox", Array("#!/bin/true\nbusybox\n".utf8), mode: 0o755)
        try b.hardlink("bin/sh", to: "bin/busybox")
        try b.file("bin/su", Array("su\n".utf8), mode: 0o4755)
        try b.file("bin/ping", Array("ping\n".utf8), mode: 0o755,
                   xattrs: [("security.capability", netRawCapability), ("user.vz.test", Array("value".utf8))])
        try b.dir("sbin")
        try b.symlink("sbin/init", to: "/bin/busybox")
        try b.dir("etc", mtime: 1_111_111_111)
        try b.symlink("etc/abs", to: "/etc/passwd")
        try b.symlink("etc/rel", to: "../bin/sh")
        try b.symlink("etc/dangling", to: "/nonexistent/target")
        try b.file("etc/stamp", Array("t\n".utf8), mtime: 1_234_567_890)
        try b.dir("home", uid: 12345, gid: 12345)
        try b.file("home/owned", Array("mine\n".utf8), mode: 0o600, uid: 12345, gid: 12345)
        try b.dir("names")
        try b.file(bytes: Array("names/".utf8) + nonUTF8, Array("x".utf8))
        try b.file(bytes: [], Array("y".utf8), wideName: "names/" + wide)
        try b.dir("dev")
        try b.fifo("dev/initctl")
        // Name shapes the worker's parent-directory fast path must leave to
        // libarchive or place correctly: a top-level file after deep ones,
        // a "./" prefix, a doubled slash.
        try b.file("toplevel", Array("t".utf8))
        try b.file("./etc/dotslash", Array("d".utf8))
        try b.file("etc//double", Array("w".utf8))
        try b.finish()
    }

    @Test(arguments: [ArchiveBuilder.Filter.none, .gzip, .xz, .bzip2, .zstd])
    func preservedExactly(_ filter: ArchiveBuilder.Filter) throws {
        let box = try Sandbox("legit")
        defer { box.close() }
        try Self.build(box.archive, format: .pax, filter: filter)
        let stats = try box.extract()
        #expect(stats.entries == 22)
        #expect(stats.skipped == 0)
        #expect(stats.warnings == 0)
        try verifyTree(box.staging)
        box.check()
    }

    /// Only user.* and security.capability are restored: trusted.* (which
    /// overlayfs trusts) and host security labels are dropped.
    @Test func privilegedXattrsDropped() throws {
        let box = try Sandbox("xattrs")
        defer { box.close() }
        let b = try ArchiveBuilder(box.archive)
        try b.shell()
        try b.dir("lower")
        try b.file("lower/f", Array("x".utf8), xattrs: [
            ("trusted.overlay.redirect", Array("/etc".utf8)), ("trusted.overlay.metacopy", []),
            ("security.selinux", Array("system_u:object_r:shadow_t:s0".utf8)),
            ("security.capability", Self.netRawCapability), ("user.kept", Array("1".utf8)),
        ])
        try b.finish()
        let stats = try box.extract()
        #expect(stats.warnings == 1)
        let x = try readXattrs(box.staging + "/lower/f")
        #expect(Set(x.keys) == ["security.capability", "user.kept"], "\(x.keys)")
        box.check()
    }

    @Test func gnutarFormatWithProgress() throws {
        let box = try Sandbox("gnutar")
        defer { box.close() }
        try Self.build(box.archive, format: .gnutar, filter: .gzip)
        _ = try TemplateExtractor.extract(archive: box.archive, into: box.staging,
                                          budget: ExtractBudget(maxBytes: 1 << 30, maxEntries: 1000),
                                          progress: true, helper: [Worker.path])
        // GNU tar format has no xattr records.
        try verifyTree(box.staging, xattrs: false)
        box.check()
    }

    @Test func budgetsExactlyMet() throws {
        let box = try Sandbox("exact")
        defer { box.close() }
        try Self.build(box.archive, format: .pax, filter: .none)
        let stats = try box.extract()
        try SafeRemove.removeTree(at: box.staging)
        #expect(mkdir(box.staging, 0o700) == 0)
        let again = try box.extract(budget: ExtractBudget(maxBytes: stats.bytes, maxEntries: stats.entries))
        #expect(again == stats)
        try SafeRemove.removeTree(at: box.staging)
        #expect(mkdir(box.staging, 0o700) == 0)
        box.expectFailure(.noDiskSpace, budget: ExtractBudget(maxBytes: stats.bytes, maxEntries: stats.entries - 1))
        try SafeRemove.removeTree(at: box.staging)
        #expect(mkdir(box.staging, 0o700) == 0)
        box.expectFailure(.noDiskSpace, budget: ExtractBudget(maxBytes: stats.bytes - 1, maxEntries: stats.entries))
        box.check()
    }

    private func verifyTree(_ root: String, xattrs checkXattrs: Bool = true) throws {
        let busybox = try #require(statNoFollow(root + "/bin/busybox"))
        let sh = try #require(statNoFollow(root + "/bin/sh"))
        #expect(busybox.st_ino == sh.st_ino, "internal hardlink lost")
        #expect(busybox.st_nlink == 2)

        let su = try #require(statNoFollow(root + "/bin/su"))
        #expect(su.st_mode & 0o7777 == 0o4755, "setuid bit lost: \(String(su.st_mode, radix: 8))")
        #expect(su.st_uid == 0)

        if checkXattrs {
            let xattrs = try readXattrs(root + "/bin/ping")
            #expect(xattrs["security.capability"] == Self.netRawCapability, "file capability lost")
            #expect(xattrs["user.vz.test"] == Array("value".utf8))
        }

        #expect(readLink(root + "/sbin/init") == "/bin/busybox")
        #expect(readLink(root + "/etc/abs") == "/etc/passwd")
        #expect(readLink(root + "/etc/rel") == "../bin/sh")
        #expect(readLink(root + "/etc/dangling") == "/nonexistent/target")

        let stamp = try #require(statNoFollow(root + "/etc/stamp"))
        #expect(stamp.st_mtim.tv_sec == 1_234_567_890)
        let etc = try #require(statNoFollow(root + "/etc"))
        #expect(etc.st_mtim.tv_sec == 1_111_111_111, "directory mtime not restored")

        let owned = try #require(statNoFollow(root + "/home/owned"))
        #expect(owned.st_uid == 12345 && owned.st_gid == 12345, "numeric owner not kept")
        #expect(owned.st_mode & 0o7777 == 0o600)
        let home = try #require(statNoFollow(root + "/home"))
        #expect(home.st_uid == 12345 && home.st_gid == 12345)

        let names = rawNames(root + "/names")
        #expect(names.contains(Self.nonUTF8), "non-UTF-8 name not byte-exact: \(names)")
        #expect(names.contains(Array(Self.wide.utf8)), "UTF-8 name not byte-exact: \(names)")
        #expect(names.count == 2)

        let fifo = try #require(statNoFollow(root + "/dev/initctl"))
        #expect(fifo.st_mode & S_IFMT == S_IFIFO)

        #expect(try Files.readString(root + "/toplevel") == "t")
        #expect(try Files.readString(root + "/etc/dotslash") == "d")
        #expect(try Files.readString(root + "/etc/double") == "w")
        #expect(Files.list(root).sorted() == ["bin", "dev", "etc", "home", "names", "sbin", "toplevel"])
    }
}

func readLink(_ path: String) -> String? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buf, buf.count)
    guard n >= 0 else { return nil }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Entry names of a directory as raw bytes.
func rawNames(_ path: String) -> [[UInt8]] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var out: [[UInt8]] = []
    while let e = readdir(d) {
        let name: [UInt8] = withUnsafeBytes(of: e.pointee.d_name) { raw in
            Array(raw.prefix(while: { $0 != 0 }))
        }
        if name != [46] && name != [46, 46] { out.append(name) }
    }
    return out
}

/// Extended attributes of a file, through libarchive's disk reader (which
/// uses llistxattr/lgetxattr), so the check does not depend on the tool's
/// own xattr code.
func readXattrs(_ path: String) throws -> [String: [UInt8]] {
    let a = try #require(archive_read_disk_new())
    defer { archive_read_free(a) }
    let e = try #require(archive_entry_new())
    defer { archive_entry_free(e) }
    archive_entry_copy_pathname(e, path)
    #expect(archive_read_disk_entry_from_file(a, e, -1, nil) >= ARCHIVE_WARN)
    var out: [String: [UInt8]] = [:]
    archive_entry_xattr_reset(e)
    var name: UnsafePointer<CChar>?
    var value: UnsafeRawPointer?
    var size = 0
    while archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK {
        guard let name else { continue }
        out[String(cString: name)] = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
    }
    return out
}
