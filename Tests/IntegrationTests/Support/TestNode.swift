import Glibc
import Testing

/// A scratch hardware node: a `VZ_SYSROOT` laid out by the project's own
/// `make install-node` in a fresh /tmp directory, with the busybox template
/// in its cache. `TestNode.with { node in ... }` removes everything it made
/// (mounts first, then the tree) on every exit path.
final class TestNode {
    static let repo: String = {
        var p = #filePath
        for _ in 0..<4 { p = String(p[..<p.lastIndex(of: "/")!]) }
        return p
    }()

    /// The busybox template, built once per test run by the recipe in
    /// templates/ (which is what admins run too).
    static let busyboxTemplate: String = {
        let cache = "/tmp/vzt-template-cache"
        let r = Spawn.shell("set -e; mkdir -p \(cache); ls \(cache)/busybox-*.tar.gz >/dev/null 2>&1 || '\(repo)/templates/busybox.sh' --cache \(cache) >&2")
        precondition(r.status == 0, "building the busybox template failed: \(r.output)")
        let found = Spawn.shell("ls \(cache)/busybox-*.tar.gz | head -1").stdout
        precondition(!found.isEmpty, "no busybox template in \(cache)")
        return String(found.dropLast())
    }()

    /// The busybox tree plus 6,000 small files in 60 directories: slow
    /// enough to extract that a kill at a random moment lands mid-way, and
    /// large enough that a torn extraction would show in a file count.
    static let slowTemplate: (name: String, entries: Int) = {
        let cache = "/tmp/vzt-template-cache"
        let name = "busybox-slow-x86_64"
        let r = Spawn.shell("""
            set -e
            f='\(cache)/\(name).tar.gz'
            if [ ! -f "$f" ]; then
                d=$(mktemp -d /tmp/vzt-slow.XXXXXX)
                trap 'rm -rf "$d"' EXIT
                tar -C "$d" -xzf '\(busyboxTemplate)'
                for i in $(seq 1 60); do mkdir -p "$d/usr/share/filler$i"; for j in $(seq 1 100); do echo "$i $j" > "$d/usr/share/filler$i/f$j"; done; done
                tar --numeric-owner -C "$d" -czf "$f.tmp" . && mv "$f.tmp" "$f"
                rm -rf "$d"
            fi
            tar -tzf "$f" | grep -vxF './' | wc -l
            """)
        precondition(r.status == 0, "building the slow template failed: \(r.output)")
        return (name, Int(r.stdout.filter(\.isNumber))!)
    }()

    /// Installs the slow template into this node's cache.
    func addSlowTemplate() {
        let r = Spawn.shell("cp '/tmp/vzt-template-cache/\(TestNode.slowTemplate.name).tar.gz' '\(root)/vz/template/cache/'")
        precondition(r.status == 0)
    }

    /// Number of entries below a directory of the node (not counting itself).
    func entryCount(_ p: String) -> Int {
        Int(Spawn.shell("find '\(root)\(p)' -mindepth 1 | wc -l").stdout.filter(\.isNumber)) ?? -1
    }

    static var busyboxName: String {
        var n = String(busyboxTemplate[busyboxTemplate.index(after: busyboxTemplate.lastIndex(of: "/")!)...])
        n.removeLast(".tar.gz".count)
        return n
    }

    let root: String
    var env: [String: String]

    private init() {
        var tmpl = Array("/tmp/vzt-node-XXXXXX".utf8CString)
        let p = tmpl.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        root = String(cString: p!)
        // Each node is its own tmpfs: fast, and no churn on the host's ext4
        // (aged ext4 directories make every extraction several times slower,
        // peer-benchmarks §6). tmpfs keeps trusted.* xattrs, which vzctl's
        // private-area marker needs.
        precondition(mount("tmpfs", root, "tmpfs", 0, "size=4g,mode=0755") == 0, "mount tmpfs on \(root) failed")
        env = ["VZ_SYSROOT": root, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]
        // NEIGHBOUR_DEVS=none: no test ever proxies or announces an address
        // on the machine's own interfaces.
        let r = Spawn.shell("make -s -C '\(TestNode.repo)' install-layout DESTDIR='\(root)' && cp '\(TestNode.busyboxTemplate)' '\(root)/vz/template/cache/'"
                            + " && sed -i 's/^NEIGHBOUR_DEVS=.*/NEIGHBOUR_DEVS=\"none\"/' '\(root)/etc/vz/vz.conf' && grep -qx 'NEIGHBOUR_DEVS=\"none\"' '\(root)/etc/vz/vz.conf'")
        if r.status != 0 {
            umount2(root, Int32(MNT_DETACH))
            rmdir(root)
            preconditionFailure("laying out the scratch node failed: \(r.output)")
        }
    }

    static func with<T>(_ body: (TestNode) throws -> T) rethrows -> T {
        let node = TestNode()
        defer { node.destroy() }
        return try body(node)
    }

    func vzctl(_ args: String...) -> ProcessResult { vzctl(args) }
    func vzctl(_ args: [String]) -> ProcessResult { Spawn.run([Spawn.vzctl] + args, env: env) }
    func vzlist(_ args: String...) -> ProcessResult { Spawn.run([Spawn.vzlist] + args, env: env) }

    func path(_ p: String) -> String { root + p }

    func exists(_ p: String) -> Bool {
        var st = stat()
        return lstat(root + p, &st) == 0
    }

    func read(_ p: String) -> String { Spawn.readText(root + p) }

    /// Every path under the sysroot, relative, sorted (for before/after diffs).
    func tree(_ sub: String = "") -> [String] {
        let r = Spawn.shell("cd '\(root)\(sub)' && find . -mindepth 1 | sort")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// Mounts under the sysroot (not the node's own tmpfs), deepest first.
    func mounts() -> [String] {
        let info = Spawn.readText("/proc/self/mountinfo")
        return info.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count > 4 else { return nil }
            let mp = String(f[4])
            return mp.hasPrefix(root + "/") ? mp : nil
        }.sorted { $0.count > $1.count }
    }

    private func destroy() {
        for m in mounts() { umount2(m, Int32(MNT_DETACH)) }
        umount2(root, Int32(MNT_DETACH))
        rmdir(root)
    }
}
