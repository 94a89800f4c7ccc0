import Glibc

/// Named points in create and destroy where the kill -9 tests make vzctl
/// die on purpose (`VZCTL_CRASH_AT=create.renamed`), so that every window
/// between two steps is crashed in deterministically, not only when a timer
/// happens to land in it. Dying is all a crash point can do, and it is what
/// a power cut or an OOM kill would do anyway, so leaving it in a release
/// build costs one getenv per process and gives nobody anything new.
///
/// `VZCTL_PAUSE_AT=name` instead holds vzctl there for a second, so a test
/// can run a second vzctl through a window that is otherwise microseconds
/// wide (two starts claiming one address). Pausing is also all it can do.
enum CrashPoint {
    private static let armed: String? = getenv("VZCTL_CRASH_AT").map { String(cString: $0) }
    private static let paused: String? = getenv("VZCTL_PAUSE_AT").map { String(cString: $0) }

    static func reached(_ name: String) {
        if let armed, armed == name { kill(getpid(), SIGKILL) }
        if let paused, paused == name { sleep(1) }
    }
}
