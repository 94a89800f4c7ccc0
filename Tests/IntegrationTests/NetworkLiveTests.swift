import Glibc
import Testing

/// `vzctl set` of network, hostname and resolver settings: at once on a
/// running VPS, saved and applied at the next start on a stopped one; and
/// the files vzctl writes inside never lead it onto host paths.
@Suite(.serialized) struct NetworkLiveTests {
    @Test func runningVPSTakesChangesAtOnce() throws {
        try TestNode.withRunning { node in
            node.createBusybox("7220", hostname: "before.example.com")
            try #require(node.vzctl("start", "7220").status == 0)
            #expect(!Net.linkExists("venet7220"), "no address, no pair")

            let add = node.vzctl("set", "7220", "--ipadd", "198.51.100.220", "--ipadd", "2001:db8::220")
            #expect(add.status == 0, "\(add.output)")
            #expect(add.stderr.contains("not saved"))
            #expect(!node.read("/etc/vz/conf/7220.conf").contains("198.51.100.220"))
            #expect(Net.routeDevice("198.51.100.220") == "venet7220")
            #expect(Net.routeDevice("2001:db8::220") == "venet7220")
            let inside = node.vzctl("exec", "7220", "ip -o addr show dev venet0; ip route; ip -6 route show default").stdout
            #expect(inside.contains("198.51.100.220/32") && inside.contains("2001:db8::220/128"), "\(inside)")
            #expect(inside.contains("default dev venet0") && inside.contains("default via fe80::1 dev venet0"), "\(inside)")

            #expect(node.vzctl("set", "7220", "--ipdel", "2001:db8::220", "--save").status == 0)
            #expect(Net.routeDevice("2001:db8::220") != "venet7220")
            #expect(!node.vzctl("exec", "7220", "ip -o addr").stdout.contains("2001:db8::220"))
            #expect(!node.vzctl("exec", "7220", "ip -6 route show default").stdout.contains("venet0"), "no IPv6 left: no IPv6 default route")
            #expect(!Net.sh("nft list table netdev vzctl-7220").stdout.contains("2001:db8::220"), "the filter follows")

            #expect(node.vzctl("set", "7220", "--ipdel", "all", "--save").status == 0)
            #expect(!Net.linkExists("venet7220"))
            #expect(!Net.nftTables().contains("vzctl-7220"))

            let names = node.vzctl("set", "7220", "--hostname", "after.example.net", "--nameserver", "198.51.100.53",
                                   "--nameserver", "2001:db8::53", "--searchdomain", "example.net", "--save")
            #expect(names.status == 0, "\(names.output)")
            #expect(node.vzctl("exec", "7220", "hostname").stdout == "after.example.net\n")
            #expect(node.vzctl("exec", "7220", "cat /etc/hostname").stdout == "after.example.net\n")
            #expect(node.vzctl("exec", "7220", "grep after /etc/hosts").stdout == "127.0.0.1 after.example.net after\n")
            let resolv = node.vzctl("exec", "7220", "cat /etc/resolv.conf").stdout
            #expect(resolv.hasSuffix("search example.net\nnameserver 198.51.100.53\nnameserver 2001:db8::53\n"), "\(resolv)")
            #expect(node.read("/etc/vz/conf/7220.conf").contains("HOSTNAME=\"after.example.net\""))

            // The /etc/hosts line follows the first address.
            #expect(node.vzctl("set", "7220", "--ipadd", "198.51.100.221", "--save").status == 0)
            #expect(node.vzctl("exec", "7220", "grep after /etc/hosts").stdout == "198.51.100.221 after.example.net after\n")
        }
    }

    @Test func stoppedVPSGetsChangesAtTheNextStart() throws {
        try TestNode.withRunning { node in
            node.createBusybox("7221", hostname: "old.example.com")
            let set = node.vzctl("set", "7221", "--ipadd", "198.51.100.222", "--hostname", "new.example.com",
                                 "--nameserver", "198.51.100.53", "--save")
            #expect(set.status == 0, "\(set.output)")
            #expect(!Net.linkExists("venet7221"), "nothing is applied to a stopped VPS")
            #expect(!node.read("/vz/private/7221/etc/hostname").contains("new"))
            try #require(node.vzctl("start", "7221").status == 0)
            #expect(Net.routeDevice("198.51.100.222") == "venet7221")
            #expect(node.vzctl("exec", "7221", "hostname; cat /etc/hostname; grep new /etc/hosts; grep nameserver /etc/resolv.conf").stdout
                    == "new.example.com\nnew.example.com\n198.51.100.222 new.example.com new\nnameserver 198.51.100.53\n")
        }
    }

    /// Reboot from inside: `__reap` takes the network down with the old
    /// init and brings it up for the new one; power-off leaves nothing.
    @Test func rebootInsideRebuildsTheNetworkAndPowerOffRemovesIt() throws {
        try TestNode.withRunning { node in
            try node.createNetworked("7224", ["--ipadd", "198.51.100.224", "--ipadd", "2001:db8::224"])
            try #require(node.vzctl("start", "7224").status == 0)
            let first = try #require(node.initPid("7224"))
            let firstIndex = hostIndex("venet7224")
            _ = node.inside("7224", "reboot")
            #expect(node.eventually(15) { (node.initPid("7224") ?? first) != first && node.status("7224").hasSuffix(" running") })
            #expect(Net.routeDevice("198.51.100.224") == "venet7224" && Net.routeDevice("2001:db8::224") == "venet7224")
            #expect(hostIndex("venet7224") != firstIndex, "a new pair for the new init")
            #expect(node.vzctl("exec", "7224", "ip -o addr show dev venet0").stdout.contains("198.51.100.224/32"))
            #expect(Net.nftTables().contains("vzctl-7224"))
            _ = node.inside("7224", "poweroff")
            #expect(node.eventually(15) { node.isClean("7224") })
            #expect(!Net.linkExists("venet7224") && !Net.nftTables().contains("vzctl-7224"))
            #expect(Net.routeDevice("198.51.100.224") != "venet7224")
            #expect(!node.exists("/var/lib/vzctl/net/7224"))
        }
    }

    /// `inherit` copies the host's resolver (VZ_SYSROOT/etc/resolv.conf on
    /// a scratch node), as vz.conf's default NAMESERVER does.
    @Test func inheritCopiesTheHostsNameservers() throws {
        try TestNode.withRunning { node in
            _ = Spawn.shell("printf 'search corp.example\\nnameserver 198.51.100.153\\n' > '\(node.root)/etc/resolv.conf'")
            node.createBusybox("7222")
            #expect(node.vzctl("set", "7222", "--nameserver", "inherit", "--searchdomain", "inherit", "--save").status == 0)
            try #require(node.vzctl("start", "7222").status == 0)
            let resolv = node.vzctl("exec", "7222", "cat /etc/resolv.conf").stdout
            #expect(resolv.contains("search corp.example\n") && resolv.contains("nameserver 198.51.100.153\n"), "\(resolv)")
        }
    }

    /// A VPS whose /etc/hosts, /etc/hostname and /etc/resolv.conf are
    /// symlinks to host paths (absolute, and relative with `..` enough to
    /// climb out of the private area): those host files stay as they were,
    /// at start and on a live change; the VPS gets regular files instead.
    @Test func symlinksToHostPathsAreNeverFollowedOut() throws {
        try TestNode.withRunning { node in
            let bait = "/tmp/vzt-bait-\(getpid())"
            try #require(Spawn.shell("mkdir -p \(bait) && for f in hosts hostname resolv; do echo HOST-$f > \(bait)/$f; done").status == 0)
            defer { _ = Spawn.shell("rm -rf \(bait)") }
            node.createBusybox("7223", hostname: "trap.example.com")
            let etc = node.privatePath("7223") + "/etc"
            let up = String(repeating: "../", count: 12)
            try #require(Spawn.shell("""
                rm -f '\(etc)/hosts' '\(etc)/hostname' '\(etc)/resolv.conf' &&
                ln -s '\(bait)/hosts' '\(etc)/hosts' &&
                ln -s '\(up)\(bait.dropFirst())/hostname' '\(etc)/hostname' &&
                ln -s '\(bait)/resolv' '\(etc)/resolv.conf'
                """).status == 0)
            func baitUnchanged() -> Bool {
                Spawn.shell("cat \(bait)/hosts \(bait)/hostname \(bait)/resolv").stdout == "HOST-hosts\nHOST-hostname\nHOST-resolv\n"
                    && Spawn.shell("ls \(bait)").stdout == "hostname\nhosts\nresolv\n"
            }
            #expect(node.vzctl("set", "7223", "--ipadd", "198.51.100.223", "--nameserver", "198.51.100.53", "--save").status == 0)
            let start = node.vzctl("start", "7223")
            try #require(start.status == 0, "\(start.output)")
            #expect(baitUnchanged())
            #expect(node.vzctl("exec", "7223", "[ -f /etc/hosts ] && [ ! -L /etc/hosts ] && [ ! -L /etc/hostname ] && [ ! -L /etc/resolv.conf ]").status == 0)
            #expect(node.vzctl("exec", "7223", "cat /etc/hostname").stdout == "trap.example.com\n")

            // Live, with the links planted again by the VPS itself.
            _ = node.vzctl("exec", "7223", "rm -f /etc/hosts /etc/hostname /etc/resolv.conf && ln -s \(bait)/hosts /etc/hosts && ln -s \(up)\(bait.dropFirst())/hostname /etc/hostname && ln -s \(bait)/resolv /etc/resolv.conf")
            #expect(node.vzctl("exec", "7223", "[ -L /etc/hosts ]").status == 0)
            #expect(node.vzctl("set", "7223", "--hostname", "live.example.com", "--nameserver", "198.51.100.54", "--save").status == 0)
            #expect(baitUnchanged())
            #expect(node.vzctl("exec", "7223", "cat /etc/hostname; grep nameserver /etc/resolv.conf").stdout == "live.example.com\nnameserver 198.51.100.54\n")
        }
    }
}
