import Glibc
import Testing
@testable import VZListing

/// Config values read the way vzctl 4.x's `parse()` read them.
@Suite struct ListValueParserTests {
    static let unlimited: UInt64 = 9_223_372_036_854_775_807

    @Test(arguments: [
        // text, divisor, expected
        ("14372700:14790164", 1 as UInt64?, (14_372_700, 14_790_164) as (UInt64, UInt64)?),
        ("240", nil, (240, 240)),
        ("0:256M", 4096, (0, 65_536)),
        ("5M:6M", 4096, (1_280, 1_536)),
        ("2P:3p", 4096, (2, 3)),
        ("1G", 4096, (262_144, 262_144)),
        ("1T", 1, (1_099_511_627_776, 1_099_511_627_776)),
        ("1.5M", 1, (1_572_864, 1_572_864)),
        ("1.5", 1, (1, 1)),
        ("unlimited", 4096, (unlimited, unlimited)),
        ("0:unlimited", 4096, (0, unlimited)),
        ("", 1, (0, 0)),
        (":5", 1, (0, 5)),
        ("10K", nil, nil),
        ("10X", 1, nil),
        ("1:2:3", 1, nil),
        ("5:", 1, (5, 0)),
        ("18446744073709551616", 1, nil),
        ("9223372036854775808", 1, (unlimited, unlimited)),
        ("9999999T", 1, (unlimited, unlimited)),
    ] as [(String, UInt64?, (UInt64, UInt64)?)])
    func beancounterPairs(_ text: String, _ divisor: UInt64?, _ expected: (UInt64, UInt64)?) {
        let got = ListValueParser.pair(text, divisor: divisor)
        #expect(got?.0 == expected?.0 && got?.1 == expected?.1, "\(text): \(String(describing: got))")
    }

    @Test func diskQuotaTakesNoUnlimited() {
        #expect(ListValueParser.pair("2G:2.2G", divisor: 1024, allowUnlimited: false)! == (2_097_152, 2_306_867))
        #expect(ListValueParser.pair("unlimited", divisor: 1024, allowUnlimited: false) == nil)
        #expect(ListValueParser.pair("131072:144179", divisor: 1, allowUnlimited: false)! == (131_072, 144_179))
    }

    @Test func addresses() {
        #expect(ListValueParser.ipAddresses("10.0.0.1  10.0.0.2\t10.0.0.1") == ["10.0.0.1", "10.0.0.2"])
        #expect(ListValueParser.ipAddresses("0.0.0.0 :: ::0") == nil)
        #expect(ListValueParser.ipAddresses("2001:DB8:0:0::1/64 10.1.1.1/24") == ["2001:db8::1/64", "10.1.1.1/24"])
        // An invalid address ends the list, keeping what came before.
        #expect(ListValueParser.ipAddresses("1.2.3.4 1.2.3.256 5.6.7.8") == ["1.2.3.4"])
        #expect(ListValueParser.ipAddresses("010.0.0.1") == nil)
        #expect(ListValueParser.ipAddresses("10.0.0.1/33") == nil)
        #expect(ListValueParser.ipAddresses("") == nil)
    }

    @Test func dottedQuadMatchesInetPton() {
        for ok in ["0.0.0.0", "255.255.255.255", "10.20.30.40"] { #expect(ListValueParser.isDottedQuad(ok.utf8)) }
        for bad in ["1.2.3", "1.2.3.4.5", "1..2.3", "256.1.1.1", "01.1.1.1", "1.2.3.", "a.b.c.d", ""] {
            #expect(!ListValueParser.isDottedQuad(bad.utf8), "\(bad)")
        }
    }

    /// The hand-written IPv4 check against glibc itself, on random text
    /// made of the characters that matter.
    @Test func dottedQuadAgreesWithGlibc() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789..5x".utf8)
        for _ in 0..<20_000 {
            let n = Int.random(in: 1...16, using: &rng)
            let s = String(decoding: (0..<n).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
            var bin: UInt32 = 0
            let glibc = inet_pton(AF_INET, s, &bin) == 1
            #expect(ListValueParser.isDottedQuad(s.utf8) == glibc, "\(s)")
        }
    }

    @Test func scalars() {
        #expect(ListValueParser.yesNo("yes") == true)
        #expect(ListValueParser.yesNo("no") == false)
        #expect(ListValueParser.yesNo("YES") == nil)
        #expect(ListValueParser.unsignedLong("42") == 42)
        #expect(ListValueParser.unsignedLong("-1") == nil)
        #expect(ListValueParser.unsignedLong("") == nil)
        #expect(ListValueParser.int("-3") == -3)
        #expect(ListValueParser.int("2147483648") == nil)
        #expect(ListValueParser.cpuUnits("7") == nil)
        #expect(ListValueParser.cpuUnits("500000") == 500_000)
        #expect(ListValueParser.cpuLimit("200", hostCPUs: 4) == 200)
        #expect(ListValueParser.cpuLimit("50%", hostCPUs: 4) == 200)
        #expect(ListValueParser.cpuLimit("101%", hostCPUs: 4) == nil)
        #expect(ListValueParser.ioPriority("7") == 7)
        #expect(ListValueParser.ioPriority("8") == nil)
        #expect(ListValueParser.ioLimit("unlimited") == 0)
        #expect(ListValueParser.ioLimit("1048576") == 1_048_576)
        #expect(ListValueParser.ioLimit("2M") == 2_097_152)
        #expect(ListValueParser.ioLimit("3G") == 2_147_483_647)
        #expect(ListValueParser.ioLimit("2MB") == nil)
        #expect(ListValueParser.iopsLimit("-1") == nil)
        #expect(ListValueParser.float("1.5") == 1.5)
        #expect(ListValueParser.float("2x") == 2)
        #expect(ListValueParser.float("x") == nil)
        #expect(ListValueParser.float("1e2") == 100)
    }

    @Test func onOffSets() {
        let f = ListValueParser.features("nfs:on sit:off,bridge:on nfs:off bogus:on ppp")
        // vzctl only sets bits: a later "nfs:off" does not clear "nfs:on".
        #expect(f.known == (1 << 1) | (1 << 2) | (1 << 6))
        #expect(f.mask == (1 << 1) | (1 << 6))
        #expect(ListTextRenderer.featuresText(f) == "nfs:on,sit:off,bridge:on")
        #expect(ListTextRenderer.featuresText((0, 0)) == nil)
        let all = ListValueParser.features(ListValueParser.featureNames.map { $0 + ":off" }.joined(separator: " "))
        // 4.x's 64-byte buffer: at most 63 bytes.
        #expect(ListTextRenderer.featuresText(all)!.utf8.count == 63)

        let caps = ListValueParser.capabilities("net_admin:on, sys_time:off net_admin:off")
        #expect(caps?.map(\.name) == ["sys_time", "net_admin"])
        #expect(caps?.map(\.on) == [false, false])
        #expect(ListValueParser.capabilities("net_admin") == nil)
        #expect(ListValueParser.netfilter("full") == "full")
        #expect(ListValueParser.netfilter("on") == nil)
    }

    @Test func names() {
        #expect(ListValueParser.isValidName("web-1.example_a+b c"))
        #expect(!ListValueParser.isValidName("a/b"))
        #expect(!ListValueParser.isValidName("ünï"))
    }

    @Test func uptimeFormat() {
        #expect(ListTextRenderer.uptimeText(0) == "000d00h:00m:00s")
        #expect(ListTextRenderer.uptimeText(93_784.9) == "001d02h:03m:04s")
        #expect(ListTextRenderer.uptimeText(1_000 * 86_400 + 59) == "1000d00h:00m:59s")
    }
}
