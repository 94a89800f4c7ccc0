import VZConfig

/// `vzctl set --setmode restart|ignore` (compat §1): what to do when a
/// setting changed on a running VPS takes effect only after a restart
/// (the parameter table's `.needsRestart`: capability, features, ...).
/// Without it vzctl warns; `ignore` keeps quiet; `restart` (only with
/// `--save`) restarts the VPS once the config is saved.
public enum SetMode: String, Sendable {
    case restart, ignore

    public static func parse(_ v: String) throws(VZError) -> SetMode {
        guard let m = SetMode(rawValue: v) else {
            throw VZError(.invalidValue, "Invalid value for --setmode: \(v.debugDescription) (expected restart or ignore)")
        }
        return m
    }

    /// vzctl 4.x's words when neither was given.
    static let warning = "WARNING: Some of the parameters could not be applied to a running container.\n\tPlease consider using --setmode option"
}
