/// `vzubc -j`: every row of every container, absolute numbers, in the
/// indentation of `vzlist -j`:
///
///     [
///       {
///         "ctid": 101,
///         "beancounters": {
///           "numproc": {
///             "held": 12,
///             "maxheld": 20,
///             "barrier": 240,
///             "limit": 240,
///             "failcnt": 0,
///             "enforcement": "pids-cgroup"
///           },
///           ...
///
/// A number the kernel does not keep is null (never 0). `enforcement` is
/// how this host enforces the row (`memory-cgroup`, `pids-cgroup`,
/// `rlimit`, `devpts`, `ipc-namespace`, or `none` for the rows a stock
/// kernel cannot limit), null for rows read from an OpenVZ file. Units are
/// those of /proc/user_beancounters (pages, bytes, items).
public enum UBCJSON {
    public static func render(_ blocks: [UBCBlock]) -> String {
        guard !blocks.isEmpty else { return "[]\n" }
        var out = "["
        for (i, b) in blocks.enumerated() {
            out += (i == 0 ? "\n  {" : ",\n  {")
            out += "\n    \"ctid\": " + (b.id.map { String($0) } ?? "null") + ",\n    \"beancounters\": {"
            for (j, r) in b.rows.enumerated() {
                out += (j == 0 ? "\n      \"" : ",\n      \"") + r.name + "\": {"
                out += "\n        \"held\": " + number(r.held)
                out += ",\n        \"maxheld\": " + number(r.maxheld)
                out += ",\n        \"barrier\": " + String(r.barrier)
                out += ",\n        \"limit\": " + String(r.limit)
                out += ",\n        \"failcnt\": " + number(r.failcnt)
                out += ",\n        \"enforcement\": " + (r.enforcement.map { "\"" + $0.key + "\"" } ?? "null")
                out += "\n      }"
            }
            out += b.rows.isEmpty ? "}" : "\n    }"
            out += "\n  }"
        }
        return out + "\n]\n"
    }

    static func number(_ v: UInt64?) -> String { v.map { String($0) } ?? "null" }
}
