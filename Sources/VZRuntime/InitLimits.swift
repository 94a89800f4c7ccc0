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
/// dev=c:10:200:666:net/tun`, or `-` for none.
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

    init?(encoded: String) {
        guard encoded != "-" else { return }
        func n(_ s: Substring) -> UInt64? { s == "inf" ? ProcessLimit.infinity : UInt64(s) }
        for t in encoded.split(separator: " ") {
            let kv = t.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            let f = kv[1].split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            switch kv[0] {
            case "pty":
                guard let v = UInt64(kv[1]) else { return nil }
                ptyMax = v
            case "rlimit":
                guard f.count == 3, let r = Int32(f[0]).flatMap(ProcessLimit.Resource.init(rawValue:)),
                      let soft = n(f[1]), let hard = n(f[2]) else { return nil }
                rlimits.append(ProcessLimit(r.key, r, soft: soft, hard: hard))
            case "dev":
                guard f.count == 6, f[0] == "b" || f[0] == "c", let ma = UInt32(f[1]), let mi = UInt32(f[2]),
                      let mode = UInt32(f[3], radix: 8), let access = DeviceRule.Access(f[4]), !f[5].isEmpty else { return nil }
                deviceNodes.append(DeviceNodeSpec(name: String(f[5]), block: f[0] == "b", major: ma, minor: mi, mode: mode, access: access))
            default:
                return nil
            }
        }
    }

    /// setrlimit of the init stage itself (root with every capability
    /// still: hard limits may go up as well as down); execve keeps them.
    func applyRlimits() throws(VZError) {
        for r in rlimits { try ProcessLimits.set(r, pid: 0) }
    }
}
