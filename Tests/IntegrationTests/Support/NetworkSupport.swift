import Glibc
import Testing

/// Host-side network fixtures for the network tests. Every interface here
/// is made by the test that uses it (names `vzt<CTID>...`), has no uplink,
/// and is deleted on every exit path; the machine's own interfaces are
/// never touched. Test addresses come from 198.51.100.0/24,
/// 203.0.113.0/24 and 2001:db8::/32 only.
enum Net {
    static let env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]

    static func sh(_ script: String) -> ProcessResult { Spawn.run(["/bin/sh", "-c", script], env: env) }

    /// A veth pair on the host, `<name>h` / `<name>p`, both up, with
    /// `addresses` on `<name>h`: a host address of the test's own (a
    /// listener for VPSes to reach, VE_ROUTE_SRC_DEV, a NEIGHBOUR_DEVS
    /// list entry). Removed when `body` returns or throws.
    static func withHostLink<T>(_ name: String, addresses: [String] = [], _ body: (String) throws -> T) throws -> T {
        let dev = name + "h"
        // No DAD on the test's own link: its link-local is usable at once.
        var script = "ip link add \(dev) type veth peer name \(name)p && echo 0 > /proc/sys/net/ipv6/conf/\(dev)/accept_dad"
            + " && ip link set \(dev) up && ip link set \(name)p up"
        for a in addresses { script += " && ip addr add \(a) dev \(dev)" + (a.contains(":") ? " nodad" : "") }
        let r = sh(script)
        defer { _ = sh("ip link del \(dev) 2>/dev/null") }
        guard r.status == 0 else { throw TestFailure("host link \(dev): \(r.output)") }
        return try body(dev)
    }

    /// A bridge of the test's own, up, with no port but what VPSes add.
    static func withBridge<T>(_ name: String, _ body: (String) throws -> T) throws -> T {
        let r = sh("ip link add \(name) type bridge && ip link set \(name) up")
        defer { _ = sh("ip link del \(name) 2>/dev/null") }
        guard r.status == 0 else { throw TestFailure("bridge \(name): \(r.output)") }
        return try body(name)
    }

    /// The device `ip route get ADDR` names on the host, or in the network
    /// namespace of `pid`: checked before any test sends a packet.
    static func routeDevice(_ address: String, netnsOf pid: pid_t? = nil) -> String? {
        let prefix = pid.map { "nsenter --net=/proc/\($0)/ns/net " } ?? ""
        return field(after: "dev", in: sh("\(prefix)ip -o route get \(address)").stdout)
    }

    /// The source address the host would use to reach `address`.
    static func routeSource(_ address: String) -> String? {
        field(after: "src", in: sh("ip -o route get \(address)").stdout)
    }

    static func field(after key: String, in text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init)
        guard let i = words.firstIndex(of: key), i + 1 < words.count else { return nil }
        return words[i + 1]
    }

    static func linkExists(_ name: String) -> Bool { sh("ip link show dev \(name)").status == 0 }

    static func nftTables() -> String { sh("nft list tables").stdout }

    static func proxies(_ dev: String) -> String { sh("ip neigh show proxy dev \(dev); ip -6 neigh show proxy dev \(dev)").stdout }

    /// Runs a python3 script (host side), its stdout trimmed.
    static func python(_ script: String, env extra: [String: String] = [:], netnsOf pid: pid_t? = nil) -> ProcessResult {
        let path = "/tmp/vzt-py-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).py"
        _ = script.withCString { s in
            let f = fopen(path, "w")
            fputs(s, f)
            fclose(f)
        }
        defer { unlink(path) }
        let argv = (pid.map { ["/usr/bin/nsenter", "--net=/proc/\($0)/ns/net"] } ?? []) + ["/usr/bin/python3", path]
        return Spawn.run(argv, env: env.merging(extra) { $1 })
    }

    /// Whether a TCP socket listens on `port` in the network namespace of
    /// `pid` (/proc/PID/net/tcp{,6} show the reader that process's view).
    static func listening(_ pid: pid_t, port: Int) -> Bool {
        let digits = String(port, radix: 16, uppercase: true)
        let hex = ":" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + " "
        for file in ["tcp", "tcp6"] {
            for line in Spawn.readText("/proc/\(pid)/net/\(file)").split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count > 3, (f[1] + " ").hasSuffix(hex), f[3] == "0A" { return true }
            }
        }
        return false
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension TestNode {
    /// Sets a vz.conf key of this scratch node.
    func setGlobal(_ key: String, _ value: String) {
        let r = Spawn.shell("f='\(root)/etc/vz/vz.conf'; grep -v '^\(key)=' \"$f\" > \"$f.new\"; echo '\(key)=\"\(value)\"' >> \"$f.new\" && mv \"$f.new\" \"$f\"")
        precondition(r.status == 0)
    }

    /// A busybox VPS with these `vzctl set --save` options.
    func createNetworked(_ ctid: String, _ options: [String]) throws {
        createBusybox(ctid)
        let r = vzctl(["set", ctid] + options + ["--save"])
        guard r.status == 0 else { throw TestFailure("set \(options): \(r.output)") }
    }

    /// Starts a one-line TCP service inside the VPS (busybox nc answering
    /// `reply` to every connection on `port`) and waits until it listens.
    func serve(_ ctid: String, port: Int, reply: String) throws {
        let r = vzctl("exec", ctid, "nc -ll -p \(port) -e echo \(reply) </dev/null >/dev/null 2>&1 &")
        guard r.status == 0, let pid = initPid(ctid) else { throw TestFailure("nc in \(ctid): \(r.output)") }
        guard eventually(10, { Net.listening(pid, port: port) }) else { throw TestFailure("nc in \(ctid) never listened on \(port)") }
    }
}
