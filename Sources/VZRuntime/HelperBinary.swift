import Glibc
import VZConfig
import VZSystem

/// vzctl's helper programs (`vzmonitor`, `vzextract`): next to the vzctl
/// binary in a build tree, in `../libexec/vzctl/` relative to it once
/// installed (`make install`).
enum HelperBinary {
    /// The running vzctl binary.
    static var selfExecutable: String {
        Files.readLink("/proc/self/exe") ?? "/usr/sbin/vzctl"
    }

    static func path(_ name: String) throws(VZError) -> String {
        let dir = Files.dirname(selfExecutable)
        for candidate in ["\(dir)/\(name)", "\(Files.dirname(dir))/libexec/vzctl/\(name)"] where access(candidate, X_OK) == 0 {
            return candidate
        }
        throw VZError(.system, "\(name) not found next to \(selfExecutable) nor in ../libexec/vzctl (make installs it)")
    }
}
