import Glibc
import VZConfig

/// Replace a file atomically: a temp file in the same directory (O_EXCL,
/// explicit mode), fsync, rename over the target, fsync the directory. A
/// reader or a crash sees either the old file or the new one, never a mix
/// (security guide §3.6).
public enum AtomicFile {
    /// `durable: false` skips both fsyncs, for state that means nothing
    /// after a reboot (kernel objects gone with it) and must stay cheap.
    public static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws(VZError) {
        let dir = Files.dirname(path)
        let tmp = "\(dir)/.\(Files.basename(path)).tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode, code: .configSave)
        do {
            _ = fchmod(fd.raw, mode)
            try fd.writeAll(bytes, path: tmp)
            if durable { try fd.fsync(path: tmp) }
            _ = try sys("rename to \(path)", path: tmp, code: .configSave) { Glibc.rename(tmp, path) }
        } catch {
            _ = Glibc.unlink(tmp)
            throw error
        }
        if durable { try Files.syncDirectory(dir) }
    }

    public static func write(_ path: String, _ text: String, mode: mode_t = 0o644, durable: Bool = true) throws(VZError) {
        try write(path, Array(text.utf8), mode: mode, durable: durable)
    }

    /// Temp files left by a writer killed between create and rename.
    public static func isTempName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp.")
    }
}
