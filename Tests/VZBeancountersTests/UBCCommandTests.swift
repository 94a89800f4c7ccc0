import Testing
import VZConfig
@testable import VZBeancounters

/// Parsing OpenVZ texts, vzubc's command line and its errors.
@Suite struct UBCCommandTests {
    /// A 32-bit node's file (width 10), as the OpenVZ wiki printed it.
    static let wiki32 = """
        Version: 2.5
               uid  resource           held    maxheld    barrier      limit    failcnt
               123: kmemsize         836919    1005343    2752512    2936012          0
                    lockedpages           0          0         32         32          0
                    privvmpages        4587       7289      49152      53575          0
                    shmpages             39         39       8192       8192          0
                    dummy                 0          0          0          0          0
                    numproc              20         26         65         65          0
                    physpages          2267       2399          0 2147483647          0

        """

    @Test func parses32BitFiles() throws {
        let b = try UBCProcText.parse(Self.wiki32)
        #expect(b.count == 1)
        #expect(b[0].id == 123)
        #expect(b[0].rows.map(\.name) == ["kmemsize", "lockedpages", "privvmpages", "shmpages", "numproc", "physpages"])
        #expect(b[0].rows[0] == UBCRow(name: "kmemsize", held: 836_919, maxheld: 1_005_343, barrier: 2_752_512,
                                        limit: 2_936_012, failcnt: 0))
        // INT_MAX is the 32-bit kernels' unlimited: hidden like LONG_MAX.
        let t = try UBCReport.render(b, UBCReportOptions()).text
        #expect(t.contains("  lockedpages|"))
        #expect(t.contains("    physpages|8.86M   -    - |9.37M   -    - |   - |   - |    - \n"))
    }

    @Test func parsesTheOpenVZSample() throws {
        let b = try UBCProcText.parse(UBCFixtures.openvz)
        #expect(b.map(\.id) == [0, 101, 102])
        #expect(b.allSatisfy { $0.rows.count == 20 })
        #expect(b[2].rows.first { $0.name == "physpages" } == UBCRow(name: "physpages", held: 65502, maxheld: 65536, barrier: 0,
                                                                     limit: 65536, failcnt: 1418))
    }

    @Test func parseQuirksAndErrors() throws {
        // `101:kmemsize` glued together, tabs, a per-CT file without uid.
        let glued = try UBCProcText.parse("Version: 2.5\n101:kmemsize\t1 2 3 4 5\n  numproc 6 7 8 9 10\n")
        #expect(glued == [UBCBlock(id: 101, rows: [
            UBCRow(name: "kmemsize", held: 1, maxheld: 2, barrier: 3, limit: 4, failcnt: 5),
            UBCRow(name: "numproc", held: 6, maxheld: 7, barrier: 8, limit: 9, failcnt: 10),
        ])])
        #expect(try UBCProcText.parse("            numproc 1 2 3 4 0\n") == [UBCBlock(id: nil, rows: [
            UBCRow(name: "numproc", held: 1, maxheld: 2, barrier: 3, limit: 4, failcnt: 0)])])
        #expect(try UBCProcText.parse("") == [])
        #expect(throws: UBCError("Error: unknown version: 2.6")) { try UBCProcText.parse("Version: 2.6\n") }
        #expect(throws: UBCError("Error: line 2 does not have five numbers:   numproc 1 2 x 4 0")) {
            try UBCProcText.parse("Version: 2.5\n  numproc 1 2 x 4 0\n")
        }
        #expect(throws: UBCError("Error: line 1 is not a beancounter row: <html>")) { try UBCProcText.parse("<html>\n") }
        // Names become store file names: nothing but [a-z0-9_].
        #expect(throws: UBCError("Error: line 1 is not a beancounter row: 1: a/../x 1 2 3 4 5")) {
            try UBCProcText.parse("1: a/../x 1 2 3 4 5\n")
        }
    }

    static func run(_ args: [String], input: String? = nil, isRoot: Bool = true) -> UBCCommand.Outcome {
        switch UBCArguments.parse(args) {
        case .success(let p):
            return UBCCommand.run(p.settings, operands: p.operands, input: input, isRoot: isRoot, source: FixtureSource())
        case .failure(let e):
            var o = UBCCommand.Outcome()
            o.stderr = e.message + "\n"
            o.status = 1
            return o
        }
    }

    /// 4.x's one-dash words, its long options, GetoptLong's rules on top.
    @Test func commandLine() throws {
        func parse(_ a: [String]) throws -> UBCArguments.Parsed { try UBCArguments.parse(a).get() }
        var p = try parse(["-qh", "60", "-qm", "0.9", "-q", "101", "web"])
        #expect(p.settings.report.quiet && p.settings.thresholdsGiven)
        #expect(p.settings.report.quietHeld == 60 && p.settings.report.quietMaxheld == 0.9)
        #expect(p.operands == ["101", "web"])
        p = try parse(["-r", "-rd", "/var/tmp/x", "-rc", "-i", "-ic", "-c", "-v"])
        #expect(p.settings.report.relative && p.settings.report.incremental && p.settings.report.color && p.settings.report.verbose)
        #expect(p.settings.storeDirectory == "/var/tmp/x" && p.settings.clearRelative && p.settings.clearIncremental)
        p = try parse(["-id", "/d", "--file=-rc"])
        #expect(p.settings.storeDirectory == "/d" && p.settings.file == "-rc" && !p.settings.clearRelative)
        // A 4.x word as an option's value stays a value.
        p = try parse(["-f", "-rc"])
        #expect(p.settings.file == "-rc" && !p.settings.clearRelative)
        p = try parse(["-wd", "-wt", "-wn", "5"])
        var w = UBCSettings.Watch()
        w.differences = true
        w.noTitle = true
        w.interval = "5"
        #expect(p.settings.watch == w)
        // watch(1) runs `vzubc ... -W`: no watch inside watch.
        p = try parse(["-w", "-W"])
        #expect(p.settings.watch == nil && p.underWatch)
        p = try parse(["-"])
        #expect(p.settings.file == "-" && p.operands.isEmpty)
        #expect(try parse(["--user-beancounters"]).settings.output == .userBeancounters)
        #expect(try parse(["--bc-resources"]).settings.output == .bcResources)
        #expect(try parse(["--ct-resources", "101"]).settings.output == .ctResources)
        #expect(try parse(["-j"]).settings.output == .json)
        #expect(try parse(["-h"]).settings.help)
        #expect(try parse(["--colour"]).settings.report.color)
        // The re-run command keeps everything but the one-off clears.
        #expect(UBCArguments.watchCommand(["-wn", "2", "-rc", "-r", "-f", "-ic", "101"]) == ["-wn", "2", "-r", "-f", "-ic", "101", "-W"])
    }

    /// Bad command lines: 4.x's messages, usage on stdout, exit 1.
    @Test(arguments: [
        (["-x"], "Unrecognized option: -x"),
        (["--bogus"], "Unrecognized option: --bogus"),
        (["-qh"], "Error: option -qh requires an argument"),
        (["-f"], "Error: option -f requires an argument"),
        (["-w", "-c"], "Error: can't use --watch and --color together"),
        (["-qh", "0.3"], "Error: -qh and -qm only make sense with --quiet or --color"),
        (["-q", "-v"], "Error: options --quiet and --verbose can't be used together"),
        (["-j", "-q"], "Error: -q, -v, -r, -i and -c apply to the table only, not to --json"),
        (["--user-beancounters", "-r"], "Error: -q, -v, -r, -i and -c apply to the table only, not to --user-beancounters"),
        (["-j", "--bc-resources"], "Error: choose one output format, not -j and --bc-resources"),
        (["-qh", "x", "-q"], "Error: -qh needs a ratio, not x"),
        (["-wn", "0"], "Error: -wn needs a number of seconds, not 0"),
        (["nosuch"], "Error: no container named nosuch"),
        (["--ct-resources"], "Error: --ct-resources prints one container's file; 2 containers were selected"),
        (["0"], "Error: invalid CT ID 0"),
    ] as [([String], String)])
    func badCommandLines(_ args: [String], _ message: String) {
        let out = Self.run(args)
        #expect(out.status == 1)
        #expect(out.stderr == message + "\n")
    }

    @Test func selection() {
        // A name, and a CT that is not running: said on stderr, not an error.
        var out = Self.run(["web", "103"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("CT 101 ") && !out.stdout.contains("CT 102 "))
        #expect(out.stderr == "CT 103 is not running: no beancounters\n")
        // -f: the file's CTs, filtered; CT 0 is the host there.
        out = Self.run(["-v", "-f", "x", "0"], input: UBCFixtures.openvz)
        #expect(out.stdout.hasPrefix("----------------------------------------------------------------\nCT 0 "))
        #expect(!out.stdout.contains("CT 101"))
        // Reading the cgroups needs root; reading a file does not.
        out = Self.run([], isRoot: false)
        #expect(out.status == 1 && out.stderr.contains("needs root"))
        #expect(Self.run(["-f", "x"], input: UBCFixtures.openvz, isRoot: false).status == 0)
        // --help: usage on stdout, exit 0.
        out = Self.run(["--help"])
        #expect(out.status == 0 && out.stdout.hasPrefix("Usage: vzubc"))
    }
}
