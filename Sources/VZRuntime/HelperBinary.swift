import Glibc
import VZConfig
import VZSystem

/// vzctl's helper programs (`vzmonitor`, `vzextract`): next to the vzctl
/// binary in a build tree, in `../libexec/vzctl/` relative to it once
/// installed (`make install`).
enum HelperBinary {
    /// The running vzctl binary.
    static var selfExecutable: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return "/usr/sbin/vzctl" }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func path(_ name: String) throws(VZError) -> String {
        let dir = Files.dirname(selfExecutable)
        for candidate in ["\(dir)/\(name)", "\(Files.dirname(dir))/libexec/vzctl/\(name)"] where access(candidate, X_OK) == 0 {
            return candidate
        }
        throw VZError(.system, "\(name) not found next to \(selfExecutable) nor in ../libexec/vzctl (make installs it)")
    }
}
