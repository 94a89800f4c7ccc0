import Glibc
import Testing
import VZConfig
@testable import VZStorage
import VZSystem

@Suite struct TemplateStoreTests {
    private func withCache(_ body: (String) throws -> Void) throws {
        var template = Array("/tmp/vzst-cache.XXXXXX".utf8CString)
        let dir = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        defer { try? SafeRemove.removeTree(at: dir) }
        try body(dir)
    }

    @Test func firstSuffixInOrderWins() throws {
        try withCache { dir in
            for s in [".tar.zst", ".tar.xz", ".tar.gz"] { try AtomicFile.write("\(dir)/debian-12\(s)", "x") }
            #expect(try TemplateStore.find("debian-12", in: dir) == "\(dir)/debian-12.tar.gz")
            try AtomicFile.write("\(dir)/debian-12.tar", "x")
            #expect(try TemplateStore.find("debian-12", in: dir) == "\(dir)/debian-12.tar")
        }
    }

    @Test(arguments: [".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"])
    func eachSuffixFound(_ suffix: String) throws {
        try withCache { dir in
            try AtomicFile.write("\(dir)/centos-7-x86_64\(suffix)", "x")
            #expect(try TemplateStore.find("centos-7-x86_64", in: dir) == "\(dir)/centos-7-x86_64\(suffix)")
        }
    }

    @Test func missingIs91() throws {
        try withCache { dir in
            try AtomicFile.write("\(dir)/other.tar.gz", "x")
            #expect(mkdir("\(dir)/dironly.tar.gz", 0o755) == 0)  // not a regular file
            for name in ["debian-12", "dironly"] {
                do throws(VZError) {
                    _ = try TemplateStore.find(name, in: dir)
                    Issue.record("found \(name)")
                } catch {
                    #expect(error.code == .osTemplateNotFound)
                    #expect(error.code.rawValue == 91)
                    #expect(error.message.hasPrefix("Cached OS template \(dir)/\(name).tar"))
                    #expect(error.message.hasSuffix("not found"))
                }
            }
        }
    }

    @Test func symlinkToRegularFileAccepted() throws {
        try withCache { dir in
            try AtomicFile.write("\(dir)/real.tar.xz", "x")
            #expect(symlink("real.tar.xz", "\(dir)/alias.tar.xz") == 0)
            #expect(try TemplateStore.find("alias", in: dir) == "\(dir)/alias.tar.xz")
        }
    }

    @Test(arguments: ["", ".", "..", ".hidden", "../etc/passwd", "a/b", "debian/../../x"])
    func unsafeNamesRejected(_ name: String) throws {
        try withCache { dir in
            #expect(throws: VZError.self) { _ = try TemplateStore.find(name, in: dir) }
            #expect(!TemplateStore.isValidName(name))
        }
    }
}

@Suite struct ExtractReportTests {
    @Test func roundTrip() {
        let ok = ExtractStats(entries: 6680, bytes: 170_400_000, skipped: 3, warnings: 1)
        #expect(ExtractReport.decode(ExtractReport.encode(.success(ok))) == .success(ok))
        let path: [UInt8] = [0x2e, 0x2e, 0x2f, 0x0a, 0xff, 0x00, 0x41]
        let failure = ExtractReport.Outcome.failure(code: 47, errno: 36, path: path, message: "Bad template:\nline two")
        #expect(ExtractReport.decode(ExtractReport.encode(failure)) == failure)
    }

    @Test func garbageAndTruncationRejected() {
        let record = ExtractReport.encode(.success(ExtractStats(entries: 1)))
        #expect(ExtractReport.decode([]) == nil)
        #expect(ExtractReport.decode(Array(record.dropLast(4))) == nil)
        #expect(ExtractReport.decode(Array("vzextract 1\nok 1\nend\n".utf8)) == nil)
        #expect(ExtractReport.decode(Array("vzextract 1\nok 0\ncode 47\nmessage zz\nend\n".utf8)) == nil)
    }
}
