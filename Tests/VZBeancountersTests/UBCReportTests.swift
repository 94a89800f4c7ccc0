import Testing
import VZConfig
@testable import VZBeancounters

/// The table's cells and the -r / -i store, against vzubc 4.x's awk.
@Suite struct UBCReportTests {
    /// `hr()`: `-` for 0 and unlimited, pages as bytes, 3 significant
    /// digits below 100 of a unit, whole numbers above.
    @Test(arguments: [
        (UInt64(0), false, "- "), (ScaledNumber.unlimited, false, "- "), (2_147_483_647, true, "- "),
        (18, false, "18 "), (240, false, "240 "), (1023, false, "1023 "), (1024, false, "1K"),
        (9312, false, "9.09K"), (2_752_512, false, "2.62M"), (14_372_700, false, "13.7M"),
        (65536, true, "256M"), (1, true, "4K"), (12, true, "48K"), (131_072, true, "512M"), (28841, true, "112M"),
        (1418, false, "1.38K"), (102_399, false, "100K"),
    ] as [(UInt64, Bool, String)])
    func amount(_ v: UInt64, _ pages: Bool, _ text: String) {
        #expect(UBCReport.amount(v, pages: pages) == text)
    }

    @Test func amountNotKept() {
        #expect(UBCReport.amount(nil, pages: true) == "n/a")
        #expect(UBCReport.percent(nil, 100) == "n/a")
        // Against no barrier there is no ratio, kept or not.
        #expect(UBCReport.percent(nil, ScaledNumber.unlimited) == "- ")
    }

    /// `dp()`, including 4.x's string comparison of the `%.1f` text with
    /// 10: 0.0 to 1.9 use `%.1g`, everything else `%d`.
    @Test(arguments: [
        (UInt64(38), UInt64(240), "15%"), (116, 240, "48%"), (1, 16, "6%"), (14_372_700, 14_372_700, "100%"),
        (5, 1000, "0.5%"), (4, 1000, "0.4%"), (15, 1000, "2%"), (19, 1000, "2%"), (25, 1000, "2%"),
        (0, 100, "- "), (1, 10_000, "- "), (1, 0, "- "), (5, ScaledNumber.unlimited, "- "), (300, 100, "300%"),
    ] as [(UInt64, UInt64, String)])
    func percent(_ p: UInt64, _ d: UInt64, _ text: String) {
        #expect(UBCReport.percent(p, d) == text)
    }

    static let relativeStore: [String: UInt64] = [
        "ubc.101.kmemsize.failcnt": 1, "ubc.101.privvmpages.failcnt": 20, "ubc.102.physpages.failcnt": 1000,
    ]

    /// -r -q: failcnt since the stored run (a counter that went down was
    /// reset, so it shows whole), the new values stored for shown rows.
    @Test func relative() throws {
        var o = UBCReportOptions()
        o.relative = true
        o.quiet = true
        let blocks = try UBCProcText.parse(UBCFixtures.openvz)
        let r = try UBCReport.render(blocks, o) { Self.relativeStore[$0] }
        Golden.check("openvz-relative.txt", r.text)
        #expect(r.store == [
            "ubc.101.kmemsize.failcnt": 3, "ubc.101.privvmpages.failcnt": 17,
            "ubc.102.physpages.failcnt": 1418, "ubc.102.oomguarpages.failcnt": 2,
        ])
    }

    /// -i -q: held's change since the stored run in its own column; rows
    /// that changed are shown even when not close to a limit.
    @Test func incremental() throws {
        var store: [String: UInt64] = [:]
        for r in ["kmemsize", "privvmpages", "shmpages", "vmguarpages", "oomguarpages", "numtcpsock", "numflock", "numpty",
                  "numsiginfo", "tcpsndbuf", "tcprcvbuf", "othersockbuf", "dgramrcvbuf", "numothersock", "dcachesize",
                  "numfile", "numiptent"] {
            store["ubc.101.\(r).held"] = 100
        }
        store["ubc.101.physpages.held"] = 28841
        store["ubc.101.lockedpages.held"] = 0
        store["ubc.101.numproc.held"] = 38
        var o = UBCReportOptions()
        o.incremental = true
        o.quiet = true
        let blocks = try UBCProcText.parse(UBCFixtures.openvz).filter { $0.id == 101 }
        let r = try UBCReport.render(blocks, o) { store[$0] }
        Golden.check("openvz-incremental.txt", r.text)
        // Changed rows are stored again; unchanged ones keep their file.
        #expect(r.store["ubc.101.kmemsize.held"] == 14_372_700)
        #expect(r.store["ubc.101.numiptent.held"] == 14)
        #expect(r.store["ubc.101.physpages.held"] == nil)
        #expect(r.store["ubc.101.numproc.held"] == nil)
    }

    /// A first -i run has nothing to compare with: no change shown (4.x's
    /// awk showed each row's whole held as its change), everything stored.
    @Test func incrementalFirstRun() throws {
        var o = UBCReportOptions()
        o.incremental = true
        let r = try UBCReport.render([UBCFixtures.ct101], o)
        let rows = r.text.split(separator: "\n").filter { $0.hasPrefix(" ") }
        #expect(rows.count == 10)
        #expect(rows.allSatisfy { !$0.contains("+") })
        #expect(r.store["ubc.101.physpages.held"] == 12_000)
        // Not measured: nothing to store.
        #expect(r.store["ubc.101.privvmpages.held"] == nil)
        #expect(r.store.count == UBCFixtures.ct101.rows.filter { $0.held != nil && $0.barrier != ScaledNumber.unlimited }.count)
    }

    /// A /proc/bc/CTID/resources text names no CT: -r and -i cannot key
    /// their store, as in 4.x.
    @Test func relativeNeedsACTID() throws {
        var o = UBCReportOptions()
        o.relative = true
        let blocks = try UBCProcText.parse(UBCProcText.ctResources(UBCFixtures.ct101))
        #expect(throws: UBCError("Error: can not use relative/incremental modes: BCID is unknown")) {
            try UBCReport.render(blocks, o)
        }
        // The table itself works: "CT -1", as 4.x printed it.
        #expect(try UBCReport.render(blocks, UBCReportOptions()).text.contains("CT -1        |"))
    }

    @Test func importance() {
        func row(_ held: UInt64?, _ maxheld: UInt64?, _ b: UInt64, _ l: UInt64, _ f: UInt64?) -> UBCRow {
            UBCRow(name: "numproc", held: held, maxheld: maxheld, barrier: b, limit: l, failcnt: f)
        }
        #expect(UBCReport.importance(row(1, 1, 100, 100, 1), failcnt: 1, 0.5, 0.8) == 2)
        #expect(UBCReport.importance(row(101, 101, 100, 100, 0), failcnt: 0, 0.5, 0.8) == 2)
        #expect(UBCReport.importance(row(51, 51, 100, 100, 0), failcnt: 0, 0.5, 0.8) == 1)
        #expect(UBCReport.importance(row(10, 81, 100, 100, 0), failcnt: 0, 0.5, 0.8) == 1)
        #expect(UBCReport.importance(row(10, 10, 100, 100, 0), failcnt: 0, 0.5, 0.8) == 0)
        // vswap: barrier 0 means "use the limit".
        #expect(UBCReport.importance(row(60, 60, 0, 100, 0), failcnt: 0, 0.5, 0.8) == 1)
        // Nothing measured is nothing close.
        #expect(UBCReport.importance(row(nil, nil, 100, 100, nil), failcnt: nil, 0.5, 0.8) == 0)
    }
}
