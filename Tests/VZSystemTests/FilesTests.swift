import Glibc
import Testing
import VZConfig
import VZSystem

/// The whole-file reads vzctl and vzlist share: sized by fstat for regular
/// files, grown for /proc files that report size 0.
@Suite struct FilesTests {
    static func scratch(_ bytes: [UInt8]) -> String {
        var template = Array("/tmp/vzfiles-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(arguments: [0, 1, 4095, 4096, 65_536, 200_000])
    func readsRegularFilesWhole(_ size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = Self.scratch(bytes)
        defer { unlink(path) }
        #expect(try Files.read(path) == bytes)

        // The reused-buffer read, smaller and larger than the file.
        for start in [0, 16, 1 << 20] {
            var buffer = [UInt8](repeating: 0xAA, count: start)
            let dir = open("/tmp", O_RDONLY | O_DIRECTORY)
            defer { close(dir) }
            let n = Files.read(String(path.dropFirst(5)), at: dir, into: &buffer)
            #expect(n == size)
            #expect(Array(buffer[0..<(n ?? 0)]) == bytes)
        }
    }

    @Test func readsProcFilesThatReportSizeZero() throws {
        let maps = try #require(try Files.read("/proc/self/mountinfo"))
        #expect(!maps.isEmpty)
        #expect(maps.last == UInt8(ascii: "\n"))
        #expect(try Files.read("/nonexistent/file") == nil)
    }

    @Test func entriesIncludeTypesAndLeaveTheFdUsable() throws {
        let dir = "/tmp/vzfiles-dir-\(getpid())"
        mkdir(dir, 0o700)
        defer { rmdir(dir + "/sub"); unlink(dir + "/f"); rmdir(dir) }
        mkdir(dir + "/sub", 0o700)
        close(open(dir + "/f", O_CREAT | O_WRONLY, 0o600))
        let fd = open(dir, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        for _ in 0..<2 {
            let e = Dictionary(uniqueKeysWithValues: Files.entries(ofDirectory: fd).map { ($0.name, $0.type) })
            #expect(Set(e.keys) == [".", "..", "sub", "f"])
            #expect(e["sub"] == UInt8(DT_DIR) || e["sub"] == UInt8(DT_UNKNOWN))
        }
        #expect(Set(Files.list(dir)) == ["sub", "f"])
    }
}
