import Testing
import VZConfig
@testable import VZListing

/// The listing's fast config reader must read files exactly as ConfigFile
/// (vzctl's parse_line rules) does.
@Suite struct ListConfigReaderTests {
    static let samples: [String] = [
        "HOSTNAME=\"ct101.example.com\"\nIP_ADDRESS=\"10.0.0.1 10.0.0.2\"\n",
        "# comment\n\n   KEY = \"value with spaces\"  \nOTHER=unquoted value\n",
        "export VE_ROOT=/vz/root/$VEID\nexport  X=1\nexport=2\n",
        "DUP=first\nDUP=second\n",
        "DESC=\"a \"quoted\" word\"\nSINGLE='it''s'\nOPEN=\"no end\n",
        "1BAD=x\nBAD-KEY=y\n=novalue\nNOEQUALS\nGOOD_1=z\n",
        "EMPTY=\"\"\nEMPTY2=\nTAB=\tvalue\t\n",
        "NAME=\"Ünïcödé\"\n",
        "LAST=no-newline",
    ]

    @Test(arguments: samples)
    func matchesConfigFile(_ text: String) {
        let expected = Dictionary(ConfigFile(text: text).assignments.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(ListConfigReader.values(Array(text.utf8)) == expected)
    }

    @Test func carriageReturnsAreTrimmed() {
        let v = ListConfigReader.values(Array("HOSTNAME=\"a\"\r\nONBOOT=yes\r\n".utf8))
        #expect(v == ["HOSTNAME": "a", "ONBOOT": "yes"])
    }

    @Test func keyFilterKeepsOnlyWantedKeys() {
        let text = Array("HOSTNAME=\"h\"\nNUMPROC=\"240\"\nOTHER=1\nHOSTNAME=second\n".utf8)
        #expect(ListConfigReader.values(text, keys: ["HOSTNAME", "MISSING"]) == ["HOSTNAME": "h"])
        let t = text.withUnsafeBufferPointer { ListConfigReader.table($0) }
        #expect(t["HOSTNAME"] == "h")
        #expect(t["NUMPROC"] == "240")
        #expect(t["OTHER"] == nil)
        #expect(t.dictionary == ["HOSTNAME": "h", "NUMPROC": "240"])
    }

    @Test func listConfigRoundTrip() {
        var c = ListConfig(["DCACHE": "1:2", "UNKNOWN": "x", "VE_ROOT": "/r"])
        #expect(c.dictionary == ["DCACHE": "1:2", "VE_ROOT": "/r"])
        c["VE_ROOT"] = nil
        #expect(c.dictionary == ["DCACHE": "1:2"])
        #expect(ListConfigKey("NUMIPTENT")?.name == "NUMIPTENT")
        #expect(ListConfigKey("nope") == nil)
    }

    @Test func aliasesFeedTheirBeancounter() {
        let r = ListRecord(ctid: ctid(5), config: ["VE_PRIVATE": "/p", "DCACHE": "100:200", "IPTENTRIES": "7"])
        let out = Listing.render([r], query: ListQuery(fields: try! ListQuery.fields(from: "dcachesize.b,dcachesize.l,numiptent.l", json: false)))
        #expect(String(decoding: out, as: UTF8.self).hasSuffix("       100        200          7\n"))
    }

    @Test(arguments: [
        ("/vz/private/$VEID", "/vz/private/101"),
        ("/vz/private/${VEID}/", "/vz/private/101"),
        ("/srv/$VEID/$VEID//", "/srv/101/101"),
        ("/", "/"),
        ("/plain", "/plain"),
        ("$VEI", "$VEI"),
    ])
    func veidSubstitution(_ value: String, _ expected: String) {
        #expect(ListConfigReader.substituteVEID(value, ctid(101)) == expected)
    }
}
