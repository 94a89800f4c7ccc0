import Glibc
import Testing

/// The built `vzlist` against a throw-away VZ_SYSROOT: the inventory
/// (config scan, private areas, names, dumps, ploop, mounts) and the real
/// getopt_long command line (bundled `-Hoctid`, options after CTIDs).
@Suite(.serialized) struct InventoryEndToEndTests {
    /// A temp node, removed (and unmounted) when the test ends, failing or not.
    final class Node {
        let root: String
        private var mounts: [String] = []

        /// `prefix` may contain a space, which mountinfo escapes as `\040`.
        init(prefix: String = "/tmp/vzlist-e2e-") {
            var template = Array((prefix + "XXXXXX").utf8CString)
            root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        }

        deinit {
            for m in mounts.reversed() { umount2(m, Int32(MNT_DETACH)) }
            Node.remove(root)
        }

        func mkdir(_ path: String) {
            var p = root
            for part in path.split(separator: "/") {
                p += "/" + part
                Glibc.mkdir(p, 0o755)
            }
        }

        func write(_ path: String, _ text: String) {
            mkdir(String(path[..<path.lastIndex(of: "/")!]))
            let fd = open(root + path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            precondition(fd >= 0, "cannot write \(root + path)")
            _ = text.utf8.withContiguousStorageIfAvailable { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }

        func symlink(_ target: String, _ path: String) { _ = Glibc.symlink(target, root + path) }

        /// Bind-mounts `source` on `target` (both node paths); false when
        /// not permitted (not root, no mount namespace rights).
        func bind(_ source: String, _ target: String) -> Bool {
            guard mount(root + source, root + target, nil, UInt(MS_BIND), nil) == 0 else { return false }
            mounts.append(root + target)
            return true
        }

        static func remove(_ path: String) {
            var st = stat()
            guard lstat(path, &st) == 0 else { return }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if let d = opendir(path) {
                    var names: [String] = []
                    while let e = readdir(d) {
                        let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                        if n != "." && n != ".." { names.append(n) }
                    }
                    closedir(d)
                    for n in names { remove(path + "/" + n) }
                }
                rmdir(path)
            } else {
                unlink(path)
            }
        }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `swift test` builds the executables next to the test bundle.
    static let vzlist: String? = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let slash = dir.lastIndex(of: "/"), slash != dir.startIndex {
            dir = String(dir[..<slash])
            if access(dir + "/vzlist", X_OK) == 0 { return dir + "/vzlist" }
        }
        return nil
    }()

    static func run(_ node: Node, _ args: [String]) -> Result? {
        guard let exe = vzlist else {
            Issue.record("vzlist binary not found next to the test bundle: build the package first")
            return nil
        }
        let out = node.root + "/.stdout", err = node.root + "/.stderr"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = (["vzlist"] + args).map { strdup($0) } + [nil]
        let env: [String] = ["VZ_SYSROOT=\(node.root)", "PATH=/usr/bin:/bin"]
        let envp = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, exe, &actions, nil, argv, envp) == 0 else {
            Issue.record("cannot start \(exe)")
            return nil
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        defer { unlink(out); unlink(err) }
        return Result(status: (status >> 8) & 0xff, stdout: read(out), stderr: read(err))
    }

    static func read(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 101 named and mounted, 102 with its own VE_PRIVATE (trailing slash),
    /// 103 without a private area, 104 with a suspend dump, 105 on ploop;
    /// plus files that are not containers.
    static func makeNode(prefix: String = "/tmp/vzlist-e2e-") -> Node {
        let n = Node(prefix: prefix)
        n.write("/etc/vz/vz.conf", """
            ## global
            VE_ROOT="/vz/root/$VEID"
            VE_PRIVATE="/vz/private/$VEID"
            DUMPDIR=/vz/dump
            NAMESERVER="inherit"
            ONBOOT="yes"

            """)
        n.write("/etc/vz/conf/101.conf", """
            HOSTNAME="ct101.example.com"
            IP_ADDRESS="10.0.0.101 10.0.0.201"
            NAME="web"
            PHYSPAGES="0:256M"
            BOOTORDER="1"

            """)
        n.write("/etc/vz/conf/102.conf", """
            VE_PRIVATE="/srv/ct/$VEID/"
            HOSTNAME="a-very-long-hostname-for-container-102.example.com"
            NAME="stale"
            BOOTORDER="1"

            """)
        n.write("/etc/vz/conf/103.conf", "HOSTNAME=\"noprivate\"\n")
        n.write("/etc/vz/conf/104.conf", "HOSTNAME=\"ct104\"\nBOOTORDER=\"9\"\n")
        n.write("/etc/vz/conf/105.conf", "HOSTNAME=\"ct105\"\n")
        n.write("/etc/vz/conf/ve-basic.conf-sample", "HOSTNAME=\"sample\"\n")
        n.write("/etc/vz/conf/106.conf.destroyed", "HOSTNAME=\"destroyed\"\n")
        n.write("/etc/vz/conf/0107.conf", "HOSTNAME=\"leading zero\"\n")
        n.write("/etc/vz/conf/.108.conf.tmp.1", "HOSTNAME=\"temp\"\n")
        n.mkdir("/etc/vz/names")
        n.symlink("../conf/101.conf", "/etc/vz/names/web")
        // "stale" belongs to 101 in the registry, so 102 shows no name.
        n.symlink("/etc/vz/conf/101.conf", "/etc/vz/names/stale")
        n.mkdir("/vz/private/101")
        n.mkdir("/vz/root/101")
        n.mkdir("/srv/ct/102")
        n.mkdir("/vz/private/104")
        n.write("/vz/dump/Dump.104", "")
        n.write("/vz/private/105/root.hdd/DiskDescriptor.xml", "<Parallels_disk_image/>\n")
        return n
    }

    @Test func listsAllConfiguredContainers() {
        let n = Self.makeNode()
        guard let r = Self.run(n, ["-a"]) else { return }
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout == """
                  CTID      NPROC STATUS    IP_ADDR         HOSTNAME
                   101          - stopped   10.0.0.101      ct101.example.com
                   102          - stopped   -               a-very-long-hostname-for-container-102.example.com
                   104          - suspended -               ct104
                   105          - stopped   -               ct105

            """)
    }

    @Test func detailsFromTheFilesystem() {
        let n = Self.makeNode()
        guard let r = Self.run(n, ["-a", "-H", "-o", "ctid,layout,private,name,smart_name,nameserver,onboot,vswap"]) else { return }
        #expect(r.status == 0)
        // vz.conf's NAMESERVER and ONBOOT are not the containers' (4.x
        // read only CTID.conf, plus VE_ROOT/VE_PRIVATE defaults).
        #expect(r.stdout == """
                   101 simfs  /vz/private/101                  web                                     web -                    -   yes
                   102 simfs  /srv/ct/102                      -                                       102 -                    -    no
                   104 simfs  /vz/private/104                  -                                       104 -                    -    no
                   105 ploop  /vz/private/105                  -                                       105 -                    -    no

            """)
    }

    /// Enough containers for the inventory to read them on two threads.
    @Test func manyContainersStayInOrder() {
        let n = Node()
        n.write("/etc/vz/vz.conf", "VE_ROOT=\"/vz/root/$VEID\"\nVE_PRIVATE=\"/vz/private/$VEID\"\n")
        let ids = Array(1000..<1300)
        for id in ids {
            n.write("/etc/vz/conf/\(id).conf", "HOSTNAME=\"ct\(id)\"\nNUMPROC=\"\(id)\"\n")
            if id % 7 != 0 { n.mkdir("/vz/private/\(id)") }
        }
        let shown = ids.filter { $0 % 7 != 0 }
        guard let r = Self.run(n, ["-a", "-H", "-o", "ctid,numproc.l,hostname"]) else { return }
        #expect(r.status == 0)
        #expect(r.stdout == shown.map { "      \($0)       \($0) ct\($0)\n" }.joined())
        let j = Self.run(n, ["-a", "-j", "-o", "ctid"])
        #expect(j?.stdout == "[" + shown.enumerated().map { "\($0.offset == 0 ? "" : ",")\n  {\n    \"ctid\": \($0.element)\n  }" }.joined() + "\n]\n")
    }

    @Test func mountedRootShowsMounted() {
        guard getuid() == 0 else { return }
        let n = Self.makeNode(prefix: "/tmp/vzlist e2e-")
        guard n.bind("/vz/private/101", "/vz/root/101") else { return }
        guard let r = Self.run(n, ["-H", "-o", "ctid,status", "101", "104"]) else { return }
        #expect(r.stdout == "       101 mounted\n       104 suspended\n")
    }

    @Test func commandLineAsScriptsWriteIt() {
        let n = Self.makeNode()
        // Bundled short options, the inline sort value, options after CTIDs.
        #expect(Self.run(n, ["-a", "-Hoctid"])?.stdout == "       101\n       102\n       104\n       105\n")
        #expect(Self.run(n, ["-aHoctid", "-s-bootorder"])?.stdout == "       104\n       101\n       102\n       105\n")
        #expect(Self.run(n, ["web", "-a", "-o", "hostname", "-H"])?.stdout == "ct101.example.com\n")
        #expect(Self.run(n, ["--no-header", "--output=ip", "101"])?.stdout == "10.0.0.101 10.0.0.201\n")
        #expect(Self.run(n, ["-1", "104", "101"])?.stdout == "       101\n       104\n")
        #expect(Self.run(n, ["-j", "-o", "ctid,status", "104"])?.stdout == "[\n  {\n    \"ctid\": 104,\n    \"status\": \"suspended\"\n  }\n]\n")
    }

    @Test func exitCodesAndMessages() {
        let n = Self.makeNode()
        let none = Self.run(n, [])
        #expect(none?.status == 0)
        #expect(none?.stderr == "Container(s) not found\n")
        let missing = Self.run(n, ["999"])
        #expect(missing?.status == 1)
        #expect(missing?.stderr == "Container(s) not found\n")
        // Configured but its private area is gone: found, hidden.
        let hidden = Self.run(n, ["-H", "103"])
        #expect(hidden?.status == 0)
        #expect(hidden?.stdout == "")
        #expect(Self.run(n, ["nosuch"])?.stderr == "CT ID nosuch is invalid.\n")
        let unknown = Self.run(n, ["-a", "-o", "ctid,bogus"])
        #expect(unknown?.status == 1)
        #expect(unknown?.stderr == "Unknown field: bogus\n")
        let bad = Self.run(n, ["-a", "-x"])
        #expect(bad?.status == 1)
        #expect(bad?.stderr == "vzlist: invalid option -- 'x'\n")
        #expect(bad?.stdout.hasPrefix("Usage:\tvzlist") == true)
        #expect(Self.run(n, ["--bogus"])?.stderr == "vzlist: unrecognized option '--bogus'\n")
        #expect(Self.run(n, ["-o"])?.stderr == "vzlist: option requires an argument -- 'o'\n")
        #expect(Self.run(n, ["--output"])?.stderr == "vzlist: option '--output' requires an argument\n")
        // -L acts before a later bad option, as getopt's loop did.
        let list = Self.run(n, ["-L", "-x"])
        #expect(list?.status == 0)
        #expect(list?.stdout.hasPrefix("ctid            CTID           \n") == true)
        #expect(Self.run(n, ["-Lx"])?.status == 0)
        let bundled = Self.run(n, ["-ax"])
        #expect(bundled?.status == 1)
        #expect(bundled?.stderr == "vzlist: invalid option -- 'x'\n")
        #expect(Self.run(n, ["--help"])?.status == 1)
    }
}
