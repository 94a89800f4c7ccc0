import CVZShim
import Glibc
import VZCgroup
import VZConfig
import VZSystem

/// The limits the init stage itself applies before it execs the VPS's
/// init, because they belong to what it sets up: the devpts `max`
/// (NUMPTY), the device nodes of DEVNODES in the fresh /dev, and the
/// process limits (NUMFILE, LOCKEDPAGES, NUMSIGINFO), set last so that
/// the init stage's own work is not bound by them and inherited by
/// everything the VPS's init forks. Passed as one argv word (the init
/// stage reads no file of the node): `pty=16 rlimit=7:9312:9312
/// dev=c:10:200:666:rw:net/tun`, or `-` for none; vzmonitor's
/// initstage.c (`parse_limit`) reads it.
struct InitLimits: Equatable, Sendable {
    var ptyMax: UInt64?
    var rlimits: [ProcessLimit] = []
    var deviceNodes: [DeviceNodeSpec] = []

    init(ptyMax: UInt64? = nil, rlimits: [ProcessLimit] = [], deviceNodes: [DeviceNodeSpec] = []) {
        self.ptyMax = ptyMax
        self.rlimits = rlimits
        self.deviceNodes = deviceNodes
    }

    var encoded: String {
        var t: [String] = []
        if let ptyMax { t.append("pty=\(ptyMax)") }
        func n(_ v: UInt64) -> String { v == ProcessLimit.infinity ? "inf" : String(v) }
        for r in rlimits { t.append("rlimit=\(r.resource.rawValue):\(n(r.soft)):\(n(r.hard))") }
        for d in deviceNodes {
            // DeviceNode names hold no blank and no colon (DeviceNode.init).
            t.append("dev=\(d.block ? "b" : "c"):\(d.major):\(d.minor):\(String(d.mode, radix: 8)):\(d.access):\(d.name)")
        }
        return t.isEmpty ? "-" : t.joined(separator: " ")
    }
}
