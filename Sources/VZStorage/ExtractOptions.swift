import Glibc

/// The extraction helper's command line (`vzextract --result-fd=3 ...`):
/// built by TemplateExtractor (host side), parsed by ExtractWorker.
public struct ExtractOptions: Sendable {
    public var resultFd: Int32
    public var maxBytes: UInt64
    public var maxEntries: UInt64
    public var progress: Bool
    /// The spawning vzctl, for PR_SET_PDEATHSIG; 0 = none.
    public var parentPid: pid_t

    public init(resultFd: Int32, maxBytes: UInt64, maxEntries: UInt64, progress: Bool, parentPid: pid_t = 0) {
        self.resultFd = resultFd
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
        self.progress = progress
        self.parentPid = parentPid
    }

    /// nil unless every argument is known and `--result-fd` names fd > 2.
    public init?(_ args: [String]) {
        self.init(resultFd: -1, maxBytes: .max, maxEntries: .max, progress: false)
        for a in args {
            if a == "--progress" { progress = true; continue }
            guard let eq = a.firstIndex(of: "=") else { return nil }
            let key = a[..<eq], value = a[a.index(after: eq)...]
            switch key {
            case "--result-fd": guard let v = Int32(value), v > 2 else { return nil }; resultFd = v
            case "--max-bytes": guard let v = UInt64(value) else { return nil }; maxBytes = v
            case "--max-entries": guard let v = UInt64(value) else { return nil }; maxEntries = v
            case "--parent-pid": guard let v = pid_t(value), v > 0 else { return nil }; parentPid = v
            default: return nil
            }
        }
        if resultFd < 0 { return nil }
    }

    public var arguments: [String] {
        ["--result-fd=\(resultFd)", "--max-bytes=\(maxBytes)", "--max-entries=\(maxEntries)"]
            + (parentPid > 0 ? ["--parent-pid=\(parentPid)"] : []) + (progress ? ["--progress"] : [])
    }
}
