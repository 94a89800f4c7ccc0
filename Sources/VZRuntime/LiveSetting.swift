import VZConfig
import VZSystem

/// What `vzctl set` hands to each part of a running VPS it may change.
public struct LiveContext {
    public let ctid: ContainerID
    public let node: Node
    public let console: Console
    /// The VPS's init, verified (pid + start time) under the CT lock.
    public let initProcess: ProcessIdentity
    /// The changes of this call, as parsed (which options were given).
    public let changes: ParameterChanges
    /// The configuration before and after the changes (vz.conf under
    /// CTID.conf, as start reads it).
    public let old: EffectiveConfig
    public let new: EffectiveConfig
}

/// One part of a running VPS that `vzctl set` changes without a restart:
/// beancounters and cgroup limits, network. `SetOperation` calls each in
/// `LiveSettings.all` on a running VPS, under the CT lock, before the
/// config is saved: a value the kernel refuses fails the call and leaves
/// the saved config as it was.
///
/// An implementation looks at `context.changes`/`old`/`new` and applies
/// only what it owns; it does nothing when none of its keys changed.
public protocol LiveSetting: Sendable {
    func apply(_ context: LiveContext) throws(VZError)
}

/// Every live setter, in the order they run.
enum LiveSettings {
    // Network first: its checks (an address another VPS holds: 78) come
    // before anything is changed; what the kernel may refuse (limits)
    // last. There is no rollback of earlier setters when a later one fails.
    static let all: [any LiveSetting] = [NetworkLiveSetting(), GuestLiveSetting(), DevicesLiveSetting(), LimitsLiveSetting()]
}
