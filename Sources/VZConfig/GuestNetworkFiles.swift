/// The contents vzctl writes into a VPS's `/etc/hostname`, `/etc/hosts`
/// and `/etc/resolv.conf`, following 4.x's distribution scripts
/// (`functions:change_hostname`, `set_dns.sh`). Pure text in, text out;
/// the runtime does the (symlink-safe) reading and writing.
public enum GuestNetworkFiles {
    /// 4.x's marker: the line after it is the one vzctl manages.
    public static let hostsComment = "# Auto-generated hostname. Please do not remove this comment."

    public static func hostname(_ name: String) -> String { name + "\n" }

    /// `/etc/hosts` with `address hostname shortname` as the line after
    /// vzctl's marker comment. The previous managed line goes; every other
    /// line stays. As in 4.x, a hostname that already has a line of its
    /// own (second field) gets no managed line, and `localhost` only makes
    /// sure of `127.0.0.1 localhost.localdomain localhost`. 4.x also
    /// dropped every line after the marker; only the managed one goes here.
    public static func hosts(_ existing: String, hostname: String, address: IPAddress?) -> String {
        var lines = split(existing)
        if let i = lines.firstIndex(of: hostsComment) {
            lines.remove(at: i)
            if i < lines.count { lines.remove(at: i) }
        }
        if hostname == "localhost" || hostname == "localhost.localdomain" {
            let line = "127.0.0.1 localhost.localdomain localhost"
            if let i = lines.firstIndex(where: { fields($0).first == "127.0.0.1" }) { lines[i] = line } else { lines.append(line) }
            return join(lines)
        }
        let ownLine = lines.contains { line in
            let f = fields(line)
            return f.count >= 2 && !f[0].hasPrefix("#") && f[1] == hostname
        }
        if !ownLine {
            var line = "\(address?.description ?? "127.0.0.1") \(hostname)"
            if let dot = hostname.firstIndex(of: "."), dot != hostname.startIndex {
                line += " " + hostname[..<dot]
            }
            lines.append(hostsComment)
            lines.append(line)
        }
        return join(lines)
    }

    /// `/etc/resolv.conf`: a new `search` line replacing the old one in
    /// place (or appended), and every `nameserver` line replaced by the
    /// new list at the end. nil leaves that part alone (4.x `set_dns.sh`).
    public static func resolvConf(_ existing: String, nameservers: [String]?, searchDomains: [String]?) -> String {
        var lines = split(existing)
        if let searchDomains, !searchDomains.isEmpty {
            let line = "search " + searchDomains.joined(separator: " ")
            if let i = lines.firstIndex(where: { fields($0).first == "search" }) { lines[i] = line } else { lines.append(line) }
        }
        if let nameservers, !nameservers.isEmpty {
            lines.removeAll { fields($0).first == "nameserver" }
            for n in nameservers { lines.append("nameserver " + n) }
        }
        return join(lines)
    }

    /// `inherit`: the host's own resolver settings, from its resolv.conf.
    public static func inherited(fromHost resolvConf: String) -> (nameservers: [String], searchDomains: [String]) {
        var servers: [String] = []
        var search: [String] = []
        for line in split(resolvConf) {
            let f = fields(line)
            guard f.count >= 2 else { continue }
            if f[0] == "nameserver", let a = IPAddress(f[1]) {
                servers.append(a.description)
            } else if f[0] == "search" || (f[0] == "domain" && search.isEmpty) {
                search = Array(f.dropFirst()).filter { ValueSyntax.isValidHostname($0) }
            }
        }
        return (servers, search)
    }

    /// A NAMESERVER/SEARCHDOMAIN list with `inherit` replaced by the host's
    /// entries (4.x allowed it alone or among others).
    public static func expand(_ list: [String], inherited: [String]) -> [String] {
        var out: [String] = []
        for item in list {
            for v in item == "inherit" ? inherited : [item] where !out.contains(v) { out.append(v) }
        }
        return out
    }

    private static func split(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    private static func join(_ lines: [String]) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    private static func fields(_ line: String) -> [String] { ValueSyntax.tokens(line) }
}
