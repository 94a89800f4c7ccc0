import Testing
import VZConfig
@testable import VZBeancounters

struct UBCCase: Sendable, CustomTestStringConvertible {
    var file: String
    var args: UBCSettings
    var operands: [String] = []
    /// Read the OpenVZ sample (`-f`) instead of the fixture node.
    var openvz = false
    var testDescription: String { file }

    init(_ file: String, openvz: Bool = false, _ operands: [String] = [], _ edit: (inout UBCSettings) -> Void = { _ in }) {
        self.file = file
        self.openvz = openvz
        self.operands = operands
        var s = UBCSettings()
        edit(&s)
        args = s
    }
}

/// Whole vzubc runs, byte for byte. The `openvz-*` tables read a
/// /proc/user_beancounters of an OpenVZ node (Golden/openvz-user_beancounters.txt)
/// and are what vzubc 4.x's awk printed for that file (checked by running
/// its program on the same input); the `live-*` ones read the fixture node,
/// whose rows carry `n/a` and the enforcement tags.
@Suite struct UBCGoldenTests {
    static let cases: [UBCCase] = [
        UBCCase("openvz-table.txt", openvz: true),
        UBCCase("openvz-verbose.txt", openvz: true) { $0.report.verbose = true },
        UBCCase("openvz-quiet.txt", openvz: true) { $0.report.quiet = true },
        UBCCase("openvz-quiet-thresholds.txt", openvz: true) {
            $0.report.quiet = true
            $0.report.quietHeld = 90
            $0.report.quietMaxheld = 95
            $0.thresholdsGiven = true
        },
        UBCCase("openvz-color.txt", openvz: true) { $0.report.color = true },
        UBCCase("openvz-ct102.txt", openvz: true, ["102"]),
        UBCCase("openvz-host.txt", openvz: true, ["0"]) { $0.report.verbose = true },
        UBCCase("openvz-bc-resources.txt", openvz: true) { $0.output = .bcResources },
        UBCCase("live-table.txt"),
        UBCCase("live-verbose.txt") { $0.report.verbose = true },
        UBCCase("live-quiet.txt") { $0.report.quiet = true },
        UBCCase("live-color.txt") { $0.report.color = true },
        UBCCase("live-named.txt", ["web"]),
        UBCCase("live.json") { $0.output = .json },
        UBCCase("live-user_beancounters.txt") { $0.output = .userBeancounters },
        UBCCase("live-bc-resources.txt") { $0.output = .bcResources },
        UBCCase("live-ct-resources.txt", ["101"]) { $0.output = .ctResources },
    ]

    @Test(arguments: cases) func golden(_ c: UBCCase) {
        let out = UBCCommand.run(c.args, operands: c.operands, input: c.openvz ? UBCFixtures.openvz : nil,
                                 isRoot: true, source: FixtureSource())
        #expect(out.status == 0)
        #expect(out.stderr == "")
        Golden.check(c.file, out.stdout)
    }

    /// The machine formats read back to the same numbers (unmeasured ones
    /// as 0, which is how those formats carry them).
    @Test func machineFormatsRoundTrip() throws {
        let zeroed = UBCFixtures.live.map { b in
            UBCBlock(id: b.id, rows: b.rows.map {
                UBCRow(name: $0.name, held: $0.held ?? 0, maxheld: $0.maxheld ?? 0, barrier: $0.barrier, limit: $0.limit,
                       failcnt: $0.failcnt ?? 0)
            })
        }
        #expect(try UBCProcText.parse(UBCProcText.bcResources(UBCFixtures.live)) == zeroed)
        // user_beancounters has no swappages.
        let noSwap = zeroed.map { UBCBlock(id: $0.id, rows: $0.rows.filter { $0.name != "swappages" }) }
        #expect(try UBCProcText.parse(UBCProcText.userBeancounters(UBCFixtures.live)) == noSwap)
        // A CT's own file has no uid: the block is unnamed.
        #expect(try UBCProcText.parse(UBCProcText.ctResources(UBCFixtures.ct101)) == [UBCBlock(id: nil, rows: zeroed[0].rows)])
        // And the OpenVZ sample prints back byte for byte.
        #expect(UBCProcText.userBeancounters(try UBCProcText.parse(UBCFixtures.openvz)) == UBCFixtures.openvz)
    }
}
