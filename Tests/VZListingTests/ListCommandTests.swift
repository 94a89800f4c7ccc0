import Testing
import VZConfig
@testable import VZListing

/// vzlist's main(): messages, exit codes and option interplay of 4.x.
@Suite struct ListCommandTests {
    @Test func unknownFieldExitsOne() {
        let r = Fixture.run([.all, .output("ctid,foo,hostname")])
        #expect(r.status == 1)
        #expect(r.stderrText == "Unknown field: foo\n")
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: [
        ("", "Unknown field: \n"),
        (",ctid", "Unknown field: \n"),
        ("ctid,,hostname", "Unknown field: \n"),
        ("ctid,abcdefghijklmnopqrstuvwxyz01234,hostname", "Invalid field: abcdefghijklmnopqrstuvwxyz01234,hostname\n"),
    ])
    func malformedFieldLists(_ spec: String, _ message: String) {
        let r = Fixture.run([.all, .output(spec)])
        #expect(r.status == 1)
        #expect(r.stderrText == message)
    }

    @Test func trailingCommaEndsTheList() {
        let r = Fixture.run([.all, .noHeader, .output("ctid,")], ["101"])
        #expect(r.status == 0)
        #expect(r.stdoutText == "       101\n")
    }

    @Test func suffixedFieldsAreRefusedInJSON() {
        let r = Fixture.run([.json, .output("ctid,kmemsize.m")])
        #expect(r.status == 1)
        #expect(r.stderrText == "Field `kmemsize.m' is not available in JSON output\n")
        // Order does not matter: the check runs after all options.
        #expect(Fixture.run([.output("diskspace.s"), .json]).status == 1)
    }

    @Test func invalidSortFieldStopsAtOnce() {
        let r = Fixture.run([.sort("-nosuch"), .list])
        #expect(r.status == 1)
        #expect(r.stderrText == "Invalid sort field name: -nosuch\n")
        // -L before it wins: options act in order.
        let l = Fixture.run([.list, .sort("-nosuch")])
        #expect(l.status == 0)
        #expect(l.stdoutText.hasPrefix("ctid            CTID           \n"))
    }

    @Test func helpPrintsUsageAndExitsOne() {
        let r = Fixture.run([.all, .help])
        #expect(r.status == 1)
        #expect(r.stdoutText == ListCommand.usage)
        #expect(r.stdoutText.hasPrefix("Usage:\tvzlist [-a | -S] [-n] [-H] [-o field[,field...] | -1] [-s [-]field]\n"))
    }

    @Test func getoptErrorPrintsMessageThenUsage() {
        let r = ListCommand.run(options: [.all], operands: [], getoptError: "vzlist: invalid option -- 'x'",
                                isRoot: true, source: Fixture.source)
        #expect(r.status == 1)
        #expect(r.stderrText == "vzlist: invalid option -- 'x'\n")
        #expect(r.stdoutText == ListCommand.usage)
    }

    @Test func nonRootIsRefusedAfterFieldChecks() {
        let r = ListCommand.run(options: [.all], operands: [], isRoot: false, source: Fixture.source)
        #expect(r.status == 1)
        #expect(r.stderrText == "This program can only be run under root.\n")
        let f = ListCommand.run(options: [.output("foo")], operands: [], isRoot: false, source: Fixture.source)
        #expect(f.stderrText == "Unknown field: foo\n")
    }

    @Test(arguments: ["0", "2147483645", "101abc", "nosuchname", "-5", ""])
    func invalidContainerArguments(_ arg: String) {
        let r = Fixture.run([], [arg])
        #expect(r.status == 1)
        #expect(r.stderrText == "CT ID \(arg) is invalid.\n")
    }

    @Test func containerArgumentsParseLikeStrtol() {
        #expect(ListCommand.containerArgument(" 101", source: Fixture.source) == ctid(101))
        #expect(ListCommand.containerArgument("+102", source: Fixture.source) == ctid(102))
        #expect(ListCommand.containerArgument("0101", source: Fixture.source) == ctid(101))
        #expect(ListCommand.containerArgument("database-primary", source: Fixture.source) == ctid(108))
    }

    @Test func noContainersIsAnErrorOnlyWhenSomeWereAskedFor() {
        let empty = FixtureSource(all: [])
        let plain = Fixture.run([], source: empty)
        #expect(plain.status == 0)
        #expect(plain.stderrText == "Container(s) not found\n")
        #expect(plain.stdout.isEmpty)

        let asked = Fixture.run([.all], ["999"])
        #expect(asked.status == 1)
        #expect(asked.stderrText == "Container(s) not found\n")

        let json = Fixture.run([.json], source: empty)
        #expect(json.status == 0)
        #expect(json.stdoutText == "[]\n")
        #expect(json.stderr.isEmpty)
        #expect(Fixture.run([.json], ["999"]).status == 1)
    }

    @Test func hiddenContainersStillCountAsFound() {
        // 105's private area is missing: found, hidden, exit 0.
        let r = Fixture.run([], ["105"])
        #expect(r.status == 0)
        #expect(r.stdoutText == "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME\n")
    }

    @Test func lastFieldOptionWins() {
        #expect(Fixture.run([.output("hostname"), .one], ["101"]).stdoutText == "       101\n")
        // -1 turned the header off; a later -o keeps it off.
        #expect(Fixture.run([.one, .output("hostname")], ["101"]).stdoutText == "ct101.example.com\n")
        #expect(Fixture.run([.output("hostname"), .name], ["101"]).stdoutText.hasPrefix(" SMARTNAME"))
    }

    @Test func reverseSortSticks() {
        // 4.x never clears the reverse flag once a "-field" was seen.
        let r = Fixture.run([.all, .noHeader, .output("ctid"), .sort("-ctid"), .sort("ctid")])
        #expect(r.stdoutText.split(separator: "\n").first == "       108")
    }

    @Test func sourceErrorsAreReported() {
        struct Failing: ListSource {
            func records(includeConfigured: Bool, only: Set<ContainerID>?, details: ListDetails) throws(VZError) -> [ListRecord] {
                throw VZError(.system, "opendir", errno: 13, path: "/etc/vz/conf")
            }
            func containerID(named name: String) -> ContainerID? { nil }
            var hostCPUCount: Int { 1 }
        }
        let r = ListCommand.run(options: [.all], operands: [], isRoot: true, source: Failing())
        #expect(r.status == 1)
        #expect(r.stderrText == "opendir: /etc/vz/conf: Permission denied\n")
    }

    @Test func detailsFollowTheColumns() {
        var q = ListQuery()
        q.fields = try! ListQuery.fields(from: "ctid,hostname", json: false)
        var d = ListDetails(q)
        #expect(!d.status && !d.layout && !d.names)
        #expect(d.configKeys == ["VE_PRIVATE", "VE_ROOT", "HOSTNAME"])
        q.fields = try! ListQuery.fields(from: nil, json: false)
        q.sortField = ListField.named("layout")
        q.namePattern = "x*"
        d = ListDetails(q)
        #expect(d.status && d.layout && d.names)
        #expect(d.configKeys!.isSuperset(of: ["NUMPROC", "IP_ADDRESS", "HOSTNAME", "NAME", "VE_LAYOUT"]))
        q.fields = nil
        q.json = true
        d = ListDetails(q)
        #expect(d.configKeys!.isSuperset(of: Set(ListConfigKey.names)))
    }

    @Test func streamingSinkGetsTheSameBytes() {
        // 300 copies of 101: about 1 MB of JSON, so many 64 KiB pieces.
        let many = (1...300).map { i -> ListRecord in
            var r = Fixture.records[0]
            r.ctid = ctid(1000 + UInt32(i))
            return r
        }
        var q = ListQuery()
        q.json = true
        let whole = Listing.render(many, query: q)
        var streamed: [UInt8] = []
        var pieces = 0
        let rest = Listing.render(many, query: q) { chunk in
            streamed += chunk
            pieces += 1
            chunk.removeAll(keepingCapacity: true)
        }
        #expect(streamed + rest == whole)
        #expect(pieces > 10)
    }
}
