import Testing
@testable import VZListing

struct GoldenCase: Sendable, CustomTestStringConvertible {
    var file: String
    var options: [ListOption]
    var operands: [String] = []
    var status: Int32 = 0
    var testDescription: String { file }
}

/// Output of whole invocations against the fixture node, byte for byte.
@Suite struct GoldenListingTests {
    static let cases: [GoldenCase] = [
        // Default columns; hidden 105; only the first IP (ip is not last).
        GoldenCase(file: "all.txt", options: [.all]),
        GoldenCase(file: "all-noheader.txt", options: [.all, .noHeader]),
        // -1: CTIDs right-aligned in 10 columns, no header.
        GoldenCase(file: "one.txt", options: [.one, .all]),
        // Without -a only running containers.
        GoldenCase(file: "running.txt", options: []),
        // -S: everything but the running one.
        GoldenCase(file: "stopped.txt", options: [.stopped]),
        // Explicit CTIDs (and a name) list stopped ones without -a; 105 is
        // configured but hidden.
        GoldenCase(file: "ctids.txt", options: [], operands: ["103", "web", "105"]),
        // hostname cut to 32 when not last; ip last shows every address.
        GoldenCase(file: "hostname-then-ip.txt", options: [.all, .output("ctid,hostname,ip")]),
        GoldenCase(file: "ip-then-hostname.txt", options: [.all, .output("ctid,ip,hostname")]),
        // -t: nothing is cut, lists are whole everywhere.
        GoldenCase(file: "no-trim.txt", options: [.all, .noTrim, .output("ctid,hostname,ip,description")]),
        // -n: smart_name (name right-aligned, cut to 10; CTID when no name).
        GoldenCase(file: "names.txt", options: [.all, .name]),
        GoldenCase(file: "name-columns.txt", options: [.all, .output("ctid,name,smart_name,description")]),
        GoldenCase(file: "beancounters.txt", options: [.all, .output(
            "ctid,kmemsize,kmemsize.m,kmemsize.b,kmemsize.l,kmemsize.f,numproc,numproc.l,physpages.l,privvmpages.b,privvmpages.l,swappages.l")]),
        // Live readings of running 107 (issue 4): failcnt and the kernel's
        // limit; maxheld the kernel does not keep is `-`.
        GoldenCase(file: "numproc-failcnt-physpages-limit.txt", options: [.output("numproc,numproc.f,physpages.l")]),
        GoldenCase(file: "live-beancounters.txt", options: [.all, .output(
            "ctid,numproc,numproc.m,numproc.b,numproc.l,numproc.f,physpages,physpages.m,physpages.l,physpages.f,swappages,swappages.m,swappages.l,privvmpages,privvmpages.l,vswap")]),
        GoldenCase(file: "live-beancounters.json", options: [.json, .output("ctid,numproc,physpages,swappages,privvmpages")]),
        GoldenCase(file: "quota.txt", options: [.all, .output(
            "ctid,diskspace,diskspace.s,diskspace.h,diskinodes,diskinodes.s,diskinodes.h")]),
        GoldenCase(file: "settings.txt", options: [.all, .output(
            "ctid,status,layout,onboot,bootorder,vswap,disabled,cpulimit,cpuunits,cpus,ioprio,iolimit,iopslimit,vm_overcommit")]),
        GoldenCase(file: "runtime.txt", options: [.all, .output("ctid,laverage,uptime,features,netfilter,capability")]),
        GoldenCase(file: "paths.txt", options: [.all, .output(
            "veid,private,root,mount_opts,origin_sample,ostemplate,nameserver,searchdomain")]),
        // Sorting: strings (missing first), reversed, bootorder ties,
        // status, a beancounter limit.
        GoldenCase(file: "sort-hostname.txt", options: [.all, .sort("hostname"), .output("ctid,hostname")]),
        GoldenCase(file: "sort-hostname-reverse.txt", options: [.all, .sort("-hostname"), .output("ctid,hostname")]),
        GoldenCase(file: "sort-bootorder.txt", options: [.all, .noHeader, .output("ctid,bootorder"), .sort("bootorder")]),
        GoldenCase(file: "sort-bootorder-reverse.txt", options: [.all, .noHeader, .output("ctid,bootorder"), .sort("-bootorder")]),
        GoldenCase(file: "sort-status.txt", options: [.all, .sort("status"), .output("ctid,status")]),
        GoldenCase(file: "sort-kmemsize-limit.txt", options: [.all, .sort("-kmemsize.l"), .output("ctid,kmemsize.l")]),
        // fnmatch filters.
        GoldenCase(file: "filter-hostname.txt", options: [.all, .hostnamePattern("ct10?.example.com")]),
        GoldenCase(file: "filter-name.txt", options: [.all, .namePattern("d*"), .output("ctid,name")]),
        GoldenCase(file: "filter-description.txt", options: [.all, .descriptionPattern("*server*"), .output("ctid,description")]),
        GoldenCase(file: "list.txt", options: [.list]),
        // JSON: every field, a few fields, the alias names.
        GoldenCase(file: "all.json", options: [.all, .json]),
        GoldenCase(file: "fields.json", options: [.json, .output("ctid,hostname,ip,kmemsize,diskspace,onboot,smart_name")],
                   operands: ["101", "103", "108"]),
        GoldenCase(file: "one.json", options: [.json, .one], operands: ["101"]),
        GoldenCase(file: "hidden-only.json", options: [.json], operands: ["105"]),
    ]

    @Test(arguments: cases)
    func golden(_ c: GoldenCase) {
        let r = Fixture.run(c.options, c.operands)
        #expect(r.status == c.status, "\(r.stderrText)")
        #expect(r.stderrText == "")
        Golden.check(c.file, r.stdoutText)
    }
}
