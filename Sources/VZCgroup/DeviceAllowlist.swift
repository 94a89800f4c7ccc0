import VZConfig

/// The devices a VPS may use: a default allowlist (everything else denied)
/// merged with the VPS's DEVICES.
///
/// The defaults are vzctl 4.x upstream mode's (`ct_setlimits`, compat §2.4
/// "Precedents": `c 1:3,1:5,1:7,1:8,1:9,5:2,136:* rwm` + `b *:* m`) plus
/// what our fresh /dev holds that 4.x's did not need to allow separately:
/// `5:0` (/dev/tty) and `5:1` (/dev/console), and `c *:* m` so the VPS's
/// init and udev-less setup scripts can mknod character nodes (opening them
/// still needs an allow rule). Block devices are never readable or
/// writable by default: a VPS that could open the host's disk owns the host.
public enum DeviceAllowlist {
    public static let defaults: [DeviceAccessRule] = [
        DeviceAccessRule(.char, 1, 3, .rwm),  // null
        DeviceAccessRule(.char, 1, 5, .rwm),  // zero
        DeviceAccessRule(.char, 1, 7, .rwm),  // full
        DeviceAccessRule(.char, 1, 8, .rwm),  // random
        DeviceAccessRule(.char, 1, 9, .rwm),  // urandom
        DeviceAccessRule(.char, 5, 0, .rwm),  // tty
        DeviceAccessRule(.char, 5, 1, .rwm),  // console
        DeviceAccessRule(.char, 5, 2, .rwm),  // ptmx
        DeviceAccessRule(.char, 136, nil, .rwm),  // pts/*
        DeviceAccessRule(.char, nil, nil, .mknod),
        DeviceAccessRule(.block, nil, nil, .mknod),
    ]

    /// The allowlist for a VPS whose DEVICES (plus the rules its DEVNODES
    /// resolve to) are `devices`, in order: a later entry for a device
    /// replaces every earlier rule it covers (`c:1:all:none` takes away
    /// null, zero, ... while `c:1:3:r` makes /dev/null read-only), and
    /// `none` (or `q` alone, which has no cgroup meaning) leaves no rule.
    /// The wildcard mknod rules stay whatever DEVICES says: they open
    /// nothing. An allowlist cannot carve a hole in a wider rule, so
    /// `c:136:5:none` leaves pts 5 allowed through `c 136:* rwm`.
    public static func effective(devices: [DeviceRule]) -> [DeviceAccessRule] {
        var rules = defaults
        for d in devices {
            var access: DeviceAccessRule.Access = []
            if d.access.contains(.read) { access.insert(.read) }
            if d.access.contains(.write) { access.insert(.write) }
            let r = DeviceAccessRule(d.type == .block ? .block : .char, d.major, d.minor, access)
            rules.removeAll { $0.major != nil && r.covers($0) }
            // mknod of an allowed node comes from the wildcard `m` rules,
            // as vzctl's `devices.allow "c 10:200 rw"` relied on.
            if !access.isEmpty { rules.append(r) }
        }
        return rules
    }
}
