import Glibc
import Testing
import VZConfig
@testable import VZListing

/// A node in memory: the records an inventory would produce.
struct FixtureSource: ListSource {
    var all: [ListRecord]
    var names: [String: ContainerID] = [:]
    var hostCPUCount = 4

    func records(includeConfigured: Bool, only: Set<ContainerID>?, details: ListDetails) throws(VZError) -> [ListRecord] {
        all.filter { r in
            (includeConfigured || r.status == .running) && (only?.contains(r.ctid) ?? true)
        }
    }

    func containerID(named name: String) -> ContainerID? { names[name] }
}

func ctid(_ v: UInt32) -> ContainerID { ContainerID(value: v)! }

/// The fixture node of the golden files. Every value is chosen to exercise
/// one 4.x formatting rule; the comments say which.
enum Fixture {
    static let records: [ListRecord] = [
        // Everything set; mounted; a vswap config with suffixed values.
        ListRecord(ctid: ctid(101), config: [
            "VE_PRIVATE": "/vz/private/101", "VE_ROOT": "/vz/root/101",
            "PHYSPAGES": "0:256M", "SWAPPAGES": "0:512M",
            "KMEMSIZE": "14372700:14790164", "NUMPROC": "240", "PRIVVMPAGES": "unlimited",
            "DISKSPACE": "2G:2.2G", "DISKINODES": "131072:144179",
            "HOSTNAME": "ct101.example.com", "IP_ADDRESS": "10.0.0.101",
            "NAMESERVER": "8.8.8.8 8.8.4.4", "SEARCHDOMAIN": "example.com",
            "ONBOOT": "yes", "BOOTORDER": "10", "NAME": "web", "DESCRIPTION": "Web server",
            "OSTEMPLATE": "debian-12-x86_64-minimal", "ORIGIN_SAMPLE": "vswap-256m", "MOUNT_OPTS": "nosuid",
            "CPUUNITS": "1000", "CPULIMIT": "50", "CPUS": "2", "IOPRIO": "4", "IOLIMIT": "10M", "IOPSLIMIT": "100",
            "FEATURES": "nfs:on sit:off", "DISABLED": "no", "VM_OVERCOMMIT": "1.5",
            "NETFILTER": "stateless", "CAPABILITY": "net_admin:on,sys_time:off",
        ], status: .mounted),
        // Long hostname, three addresses (the IPv6 one non-canonical),
        // same bootorder as 101, percent CPU limit (of 4 host CPUs).
        ListRecord(ctid: ctid(102), config: [
            "VE_PRIVATE": "/vz/private/102", "VE_ROOT": "/vz/root/102",
            "HOSTNAME": "a-very-long-hostname-for-container-102.example.com",
            "IP_ADDRESS": "10.0.0.102 10.0.1.102 2001:DB8:0:0::102",
            "ONBOOT": "no", "BOOTORDER": "10", "CPULIMIT": "25%", "DISABLED": "yes",
            "DESCRIPTION": "Staging: mail server",
            "KMEMSIZE": "10M", "PHYSPAGES": "0:unlimited",
        ]),
        // Nothing but the paths: every column shows its "missing" form.
        // Suspended, ploop.
        ListRecord(ctid: ctid(103), config: [
            "VE_PRIVATE": "/vz/private/103", "VE_ROOT": "/vz/root/103",
        ], status: .suspended, layout: .ploop),
        // Values vzctl reads leniently or refuses: pages suffixes, an item
        // counter with a suffix (invalid, so 0), an unlimited DISKSPACE
        // (invalid: quota keys take no "unlimited"), bad IP after a good one.
        ListRecord(ctid: ctid(104), config: [
            "VE_PRIVATE": "/vz/private/104", "VE_ROOT": "/vz/root/104",
            "PRIVVMPAGES": "5M:6M", "NUMPROC": "10K", "KMEMSIZE": "1.5M:unlimited",
            "DISKSPACE": "unlimited", "DISKINODES": "200000",
            "HOSTNAME": "ct104", "IP_ADDRESS": "192.168.4.4 300.1.1.1 192.168.4.5",
            "ONBOOT": "maybe", "CPUUNITS": "5", "IOPRIO": "9", "FEATURES": "bogus:on",
        ]),
        // Private area missing: configured, counted, never shown.
        ListRecord(ctid: ctid(105), config: [
            "VE_PRIVATE": "/vz/private/105", "VE_ROOT": "/vz/root/105", "HOSTNAME": "gone.example.com",
        ], privateExists: false),
        // NAME the registry gives to someone else; a second NAME longer
        // than smart_name's 10 columns is on 108.
        ListRecord(ctid: ctid(106), config: [
            "VE_PRIVATE": "/vz/private/106", "VE_ROOT": "/vz/root/106",
            "NAME": "web", "HOSTNAME": "impostor.example.com",
        ], nameRegistered: false),
        // Running, with kernel readings.
        ListRecord(ctid: ctid(107), config: [
            "VE_PRIVATE": "/vz/private/107", "VE_ROOT": "/vz/root/107",
            "HOSTNAME": "ct107.example.com", "IP_ADDRESS": "10.0.0.107",
            "NUMPROC": "240", "KMEMSIZE": "14372700:14790164",
            "DISKSPACE": "1048576:1153434", "DISKINODES": "65536:72089", "BOOTORDER": "5",
        ], status: .running, runtime: {
            var r = RuntimeReadings()
            // pids.max as the kernel has it (240), a limit that bit 5 times.
            r.beancounters[.numproc] = BeancounterReading(held: 18, maxheld: 42, failcnt: 5, barrier: 240, limit: 240)
            r.beancounters[.kmemsize] = BeancounterReading(held: 2_752_512, maxheld: 3_338_240, failcnt: 3)
            // PHYSPAGES is not configured, yet the kernel limits it: its
            // limit shows; v1 swap has no peak: maxheld unknown.
            r.beancounters[.physpages] = BeancounterReading(held: 12_000, maxheld: 30_000, failcnt: 0, limit: 65536)
            r.beancounters[.swappages] = BeancounterReading(held: 25, maxheld: nil, failcnt: 0, limit: 131_072)
            // Read, but nothing a stock kernel counts: unlimited when unset.
            r.beancounters[.privvmpages] = BeancounterReading()
            r.loadAverage = (0.05, 0.125, 1.5)
            r.uptime = 93_784.25
            r.diskUsage = DiskUsage(kilobytes: 524_288, inodes: 12_345)
            r.ipAddresses = ["10.0.0.107", "10.0.0.207"]
            return r
        }()),
        ListRecord(ctid: ctid(108), config: [
            "VE_PRIVATE": "/vz/private/108", "VE_ROOT": "/vz/root/108",
            "NAME": "database-primary", "HOSTNAME": "db.example.com", "BOOTORDER": "20",
            "DESCRIPTION": "Ünïcödé description that is longer than thirty-two bytes",
        ]),
    ]

    static let source = FixtureSource(all: records, names: ["web": ctid(101), "database-primary": ctid(108)])

    static func run(_ options: [ListOption], _ operands: [String] = [], source: FixtureSource = source) -> ListOutcome {
        ListCommand.run(options: options, operands: operands, isRoot: true, source: source)
    }
}

/// Golden files live next to this source file, in Golden/. Set
/// VZLIST_UPDATE_GOLDEN=1 to rewrite them from the current output (then
/// review the diff: they are the 4.x reference).
enum Golden {
    static let directory: String = {
        let file = #filePath
        return String(file[..<file.lastIndex(of: "/")!]) + "/Golden"
    }()

    static func read(_ name: String) -> String? {
        guard let f = fopen(directory + "/" + name, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ name: String, _ text: String) {
        guard let f = fopen(directory + "/" + name, "w") else { return }
        _ = text.utf8.withContiguousStorageIfAvailable { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }

    static var updating: Bool { getenv("VZLIST_UPDATE_GOLDEN") != nil }

    /// Compares with the golden file (or rewrites it in update mode).
    static func check(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if updating {
            write(name, actual)
            return
        }
        guard let expected = read(name) else {
            Issue.record("missing golden file Golden/\(name)", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            Issue.record("Golden/\(name) differs:\n--- expected\n\(expected)--- actual\n\(actual)", sourceLocation: sourceLocation)
        }
    }
}
