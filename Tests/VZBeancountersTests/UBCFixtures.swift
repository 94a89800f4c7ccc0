import VZConfig
@testable import VZBeancounters

/// Two running VPSes as the cgroup reader hands them over.
///
/// 101: a vswap 256M config (ve-vswap-256m) with ve-basic's other
/// beancounters, idle. 102: NUMPROC 50 that was hit (a fork bomb), RAM at
/// its limit with reclaim (physpages failcnt), no swap.
enum UBCFixtures {
    static func ctid(_ n: UInt32) -> ContainerID { ContainerID(value: n)! }

    static let ct101 = UBCBlock(ctid: ctid(101), configured: [
        .physpages: ResourceValue(barrier: 0, limit: 65536), .swappages: ResourceValue(barrier: 0, limit: 131072),
        .numproc: ResourceValue(240), .kmemsize: ResourceValue(barrier: 14_372_700, limit: 14_790_164),
        .privvmpages: ResourceValue(barrier: 65536, limit: 69632), .numfile: ResourceValue(9312),
        .numpty: ResourceValue(16), .lockedpages: ResourceValue(2048), .shmpages: ResourceValue(21504),
        .numtcpsock: ResourceValue(360),
    ], readings: [
        .kmemsize: BeancounterReading(held: 2_752_512, maxheld: 3_338_240, failcnt: 0),
        .lockedpages: BeancounterReading(held: 0),
        .privvmpages: BeancounterReading(),
        .shmpages: BeancounterReading(held: 12),
        .numproc: BeancounterReading(held: 18, maxheld: 42, failcnt: 0, barrier: 240, limit: 240),
        .physpages: BeancounterReading(held: 12_000, maxheld: 30_000, failcnt: 0, limit: 65536),
        .vmguarpages: BeancounterReading(),
        .oomguarpages: BeancounterReading(held: 12_100, maxheld: 30_100, failcnt: 0),
        .numtcpsock: BeancounterReading(),
        .numpty: BeancounterReading(held: 1),
        .numfile: BeancounterReading(),
        .swappages: BeancounterReading(held: 100, failcnt: 0, limit: 131_072),
    ])

    static let ct102 = UBCBlock(ctid: ctid(102), configured: [
        .physpages: ResourceValue(barrier: 0, limit: 65536), .swappages: ResourceValue(barrier: 0, limit: 0),
        .numproc: ResourceValue(50),
    ], readings: [
        .kmemsize: BeancounterReading(held: 9_437_184, maxheld: 10_485_760, failcnt: 0),
        .numproc: BeancounterReading(held: 50, maxheld: 50, failcnt: 12, barrier: 50, limit: 50),
        .physpages: BeancounterReading(held: 65_000, maxheld: 65_536, failcnt: 340, limit: 65536),
        .oomguarpages: BeancounterReading(held: 65_000, maxheld: 65_536, failcnt: 2),
        .swappages: BeancounterReading(held: 0, failcnt: 0, limit: 0),
    ])

    static let live = [ct101, ct102]

    static var openvz: String { Golden.read("openvz-user_beancounters.txt") ?? "" }
}

/// The fixture node for UBCCommand: 101 and 102 running, 103 configured.
struct FixtureSource: UBCSource {
    var blocks = UBCFixtures.live
    var names: [String: ContainerID] = ["web": UBCFixtures.ctid(101), "stopped": UBCFixtures.ctid(103)]

    func beancounterBlocks(only: Set<ContainerID>?) throws(VZError) -> [UBCBlock] {
        blocks.filter { b in only.map { o in o.contains { Int64($0.value) == b.id } } ?? true }
    }

    func containerID(named name: String) -> ContainerID? { names[name] }
}
