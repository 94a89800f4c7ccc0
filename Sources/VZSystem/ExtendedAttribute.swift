import CVZShim
import Glibc
import VZConfig

/// Extended attributes on host paths the tool owns, never following a final
/// symlink (l*xattr).
public enum ExtendedAttribute {
    public static func get(_ path: String, _ name: String) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, $0.count) }
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }

    public static func set(_ path: String, _ name: String, _ value: String) throws(VZError) {
        let bytes = Array(value.utf8)
        _ = try sys("setxattr \(name)", path: path) {
            bytes.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
        }
    }
}
