import Glibc
import VZConfig
import VZSystem

/// The OS template cache, `$TEMPLATE/cache/NAME.tar[.gz|.bz2|.xz|.zst]`
/// (compat §8). Paths are host paths: the caller has already applied
/// VZ_SYSROOT.
public enum TemplateStore {
    /// Looked up in this order, first match wins. vzctl 4.x knew the first
    /// four; `.tar.zst` comes last so a cache that also has an older format
    /// keeps resolving as it did.
    public static let suffixes = [".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"]

    /// Path of the cached template `name` in `cacheDir` (`$TEMPLATE/cache`).
    ///
    /// - 21 when `name` could reach outside the cache directory (contains `/`,
    ///   a NUL, or starts with `.`, which also covers `..`), or is empty.
    /// - 91 `Cached OS template <cacheDir>/<name>.tar[.gz|.bz2|.xz|.zst] not
    ///   found` (vzctl 4.x's wording, which lists the suffixes tried the same
    ///   way) when no suffix matches a regular file. A symlink to a regular file is accepted:
    ///   the cache is the admin's, and it may point elsewhere.
    public static func find(_ name: String, in cacheDir: String) throws(VZError) -> String {
        guard isValidName(name) else {
            throw VZError(.invalidValue, "Invalid OS template name: \(name)")
        }
        for suffix in suffixes {
            let path = "\(cacheDir)/\(name)\(suffix)"
            if let st = statFollowing(path), st.st_mode & S_IFMT == S_IFREG { return path }
        }
        throw VZError(.osTemplateNotFound, "Cached OS template \(cacheDir)/\(name).tar[.gz|.bz2|.xz|.zst] not found")
    }

    /// A template name is one path component that is not hidden.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.utf8.contains(UInt8(ascii: "/")) && !name.utf8.contains(0)
    }
}
