import Glibc
import VZConfig
import VZSystem

/// The network part of start, stop and `vzctl set` on a running VPS, as
/// the operations call it (a few lines each in StartOperation,
/// StopOperation and LiveSettings).
enum NetworkLifecycle {
    /// At start, once the init is attached and before it is released:
    /// interfaces, addresses, routes, filter, and the hostname/DNS files
    /// under VE_ROOT. Returns the undo for a start that fails later.
    static func start(_ ctid: ContainerID, effective: EffectiveConfig, initProcess: ProcessIdentity, hostRoot: String,
                      node: Node, console: Console) throws(VZError) -> () -> Void {
        let plan = try NetworkPlan(effective)
        let network = ContainerNetwork(ctid: ctid, node: node, console: console)
        let undo = { _ = network.tearDown(fallback: plan) }
        let began = nanoseconds()
        do {
            try network.setUp(plan, initProcess: initProcess)
            try GuestSettings(node: node, console: console, config: effective, plan: plan)
                .write(to: GuestFiles.at(hostRoot: hostRoot), hostname: true, resolver: true)
        } catch {
            undo()
            throw error
        }
        // bench/net-setup.sh reads this line (vzctl --verbose start).
        let micros = (nanoseconds() - began) / 1000
        console.debug("Network configured in \(micros / 1000).\(String(micros % 1000 + 1000).dropFirst()) ms")
        return undo
    }

    private static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// After the init has ended: nothing of the VPS stays in the host's
    /// network configuration. `ran`: the VPS was running until now, so
    /// without a record (a crash before it was written) the objects its
    /// config names are looked for too; otherwise only a record counts.
    /// Returns what to keep until the caller's own cleanup is done (see
    /// ContainerNetwork.tearDown): dropping it may wait a few ms.
    @discardableResult
    static func stop(_ ctid: ContainerID, effective: EffectiveConfig, node: Node, console: Console, ran: Bool = true) -> AnyObject? {
        ContainerNetwork(ctid: ctid, node: node, console: console).tearDown(fallback: ran ? try? NetworkPlan(effective) : nil)
    }
}

/// Hostname and resolver settings inside a VPS (4.x's SET_HOSTNAME and
/// SET_DNS distribution scripts, done by vzctl itself for every template).
struct GuestSettings {
    let node: Node
    let console: Console
    let config: EffectiveConfig
    let plan: NetworkPlan

    /// `hostname`: /etc/hostname and the /etc/hosts line, when HOSTNAME is
    /// set; `resolver`: /etc/resolv.conf, when NAMESERVER or SEARCHDOMAIN
    /// is (`inherit` taking the host's). Unset settings leave files alone.
    func write(to files: GuestFiles, hostname: Bool, resolver: Bool) throws(VZError) {
        if hostname, let name = config["HOSTNAME"], !name.isEmpty {
            try files.write(dir: "etc", name: "hostname", GuestNetworkFiles.hostname(name))
            let hosts = GuestNetworkFiles.hosts(files.read("etc/hosts") ?? "", hostname: name, address: plan.firstAddress)
            try files.write(dir: "etc", name: "hosts", hosts)
        }
        guard resolver else { return }
        var servers = ValueSyntax.tokens(config["NAMESERVER"] ?? "")
        var domains = ValueSyntax.tokens(config["SEARCHDOMAIN"] ?? "")
        if servers.contains("inherit") || domains.contains("inherit") {
            let text = ((try? Files.readString(node.host("/etc/resolv.conf"))) ?? nil) ?? ""
            let host = GuestNetworkFiles.inherited(fromHost: text)
            servers = GuestNetworkFiles.expand(servers, inherited: host.nameservers)
            domains = GuestNetworkFiles.expand(domains, inherited: host.searchDomains)
        }
        guard !servers.isEmpty || !domains.isEmpty else { return }
        let text = GuestNetworkFiles.resolvConf(files.read("etc/resolv.conf") ?? "",
                                                nameservers: servers.isEmpty ? nil : servers,
                                                searchDomains: domains.isEmpty ? nil : domains)
        try files.write(dir: "etc", name: "resolv.conf", text)
    }
}

/// `vzctl set --ipadd/--ipdel/--netif_*/--ifname ...` on a running VPS.
struct NetworkLiveSetting: LiveSetting {
    func apply(_ c: LiveContext) throws(VZError) {
        let keys = c.changes.changedKeys
        guard keys.contains("IP_ADDRESS") || keys.contains("NETIF") else { return }
        try ContainerNetwork(ctid: c.ctid, node: c.node, console: c.console).change(to: NetworkPlan(c.new), initProcess: c.initProcess)
    }
}

/// `vzctl set --hostname/--nameserver/--searchdomain` on a running VPS, and
/// the /etc/hosts line when the first address changed.
struct GuestLiveSetting: LiveSetting {
    func apply(_ c: LiveContext) throws(VZError) {
        let keys = c.changes.changedKeys
        let plan = try NetworkPlan(c.new)
        let hostnameChanged = keys.contains("HOSTNAME")
        let firstAddressChanged = (keys.contains("IP_ADDRESS") || keys.contains("NETIF"))
            && (try? NetworkPlan(c.old))?.firstAddress != plan.firstAddress
        let resolver = keys.contains("NAMESERVER") || keys.contains("SEARCHDOMAIN")
        guard hostnameChanged || firstAddressChanged || resolver else { return }
        if hostnameChanged, let name = c.new["HOSTNAME"], !name.isEmpty {
            try GuestFiles.setHostname(name, of: c.initProcess)
        }
        try GuestSettings(node: c.node, console: c.console, config: c.new, plan: plan)
            .write(to: GuestFiles.of(c.initProcess), hostname: hostnameChanged || firstAddressChanged, resolver: resolver)
    }
}
