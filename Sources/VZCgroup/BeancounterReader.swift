import VZConfig

/// Reads a VPS's beancounters from its cgroups through `CgroupBackend.read`,
/// following `BeancounterFiles`. Only the files behind the requested
/// columns are opened, and each file once per VPS (memory.stat serves
/// three rows), so `vzlist -o numproc` over 100 VPSes is 100 small reads.
public struct BeancounterReader {
    public let cgroup: ContainerCgroup
    /// The running kernel (see `BeancounterFiles.of`).
    public let kernel: KernelRelease?

    public init(cgroup: ContainerCgroup, kernel: KernelRelease?) {
        self.cgroup = cgroup
        self.kernel = kernel
    }

    /// The readings of the cgroup-counted rows in `query` (numpty and the
    /// rows no cgroup counts are left out: see `BeancounterFiles`).
    /// Unreadable files read as missing: a VPS stopping meanwhile, or a
    /// kernel without the file, gives nil numbers, not an error.
    public func read(_ query: BeancounterQuery) -> [Beancounter: BeancounterReading] {
        var cache: [String: String?] = [:]
        var out: [Beancounter: BeancounterReading] = [:]
        for (bc, columns) in query.columns {
            guard let controller = BeancounterFiles.controller(of: bc),
                  let backend = cgroup.backend(for: controller),
                  let files = BeancounterFiles.of(bc, backend.version, kernel: kernel) else { continue }
            let read = { (file: String) -> String? in
                let key = controller + "/" + file
                if let hit = cache[key] { return hit }
                let text = (try? backend.read(file)) ?? nil
                cache[key] = text
                return text
            }
            out[bc] = BeancounterReader.reading(files, columns, read)
        }
        return out
    }

    /// Pure: one row's reading from a file reader. Amounts are scaled to
    /// the row's unit (bytes to pages); failcnt is a count and is not.
    public static func reading(_ files: BeancounterFiles, _ columns: BeancounterColumns,
                               _ read: (String) -> String?) -> BeancounterReading {
        func amount(_ src: CounterSource?) -> UInt64? {
            guard let v = src?.evaluate(read) else { return nil }
            return v == ScaledNumber.unlimited ? v : v / files.scale
        }
        var r = BeancounterReading()
        if columns.contains(.held) { r.held = amount(files.held) }
        if columns.contains(.maxheld) { r.maxheld = amount(files.maxheld) }
        if columns.contains(.failcnt) { r.failcnt = files.failcnt?.evaluate(read) }
        if columns.contains(.limit) { r.limit = amount(files.limit) }
        if columns.contains(.barrier) { r.barrier = amount(files.source(.barrier)) }
        return r
    }
}
