import Testing
import VZConfig
@testable import VZListing

/// The listing reads values through VZConfig's parsers; these pin the few
/// places where it is deliberately more lenient than `vzctl set`, and that
/// it agrees with VZConfig everywhere else.
@Suite struct LenientReadingTests {
    /// (text, divisor, lenient reading); the strict reading refuses each.
    @Test(arguments: [
        ("", 1 as UInt64?, (0, 0) as (UInt64, UInt64)),
        (":5", 1, (0, 5)),
        ("5:", 4096, (5, 0)),
        ("1.5", 1, (1, 1)),
        ("2.5", nil, (2, 2)),
        ("K", 1, (0, 0)),
        (".5K", 1, (512, 512)),
        ("5.K", 1, (5120, 5120)),
        ("5.", 1, (5, 5)),
    ] as [(String, UInt64?, (UInt64, UInt64))])
    func lenientOnlyWhereVzctlWas(_ text: String, _ divisor: UInt64?, _ expected: (UInt64, UInt64)) {
        let got = ListValueParser.pair(text, divisor: divisor)
        #expect(got?.0 == expected.0 && got?.1 == expected.1, "\(text)")
        #expect(ScaledNumber.parsePair(text, divisor: divisor) == nil, "\(text)")
    }

    @Test(arguments: ["14372700:14790164", "0:256M", "2G:2.2G", "1.5M", "unlimited", "0:unlimited", "9999999T", "1:2:3", "10X", "."])
    func sameAsStrictWhereVzctlAgreed(_ text: String) {
        for divisor in [nil, 1, 1024, 4096] as [UInt64?] {
            let strict = ScaledNumber.parsePair(text, divisor: divisor).map { [$0.barrier.value, $0.limit.value] }
            let lenient = ListValueParser.pair(text, divisor: divisor).map { [$0.0, $0.1] }
            #expect(strict == lenient, "\(text) / \(String(describing: divisor))")
        }
    }

    @Test func signedIntegersAsStrtolReadThem() {
        #expect(ListValueParser.ioPriority("+3") == 3)
        #expect(ListValueParser.ioPriority("-0") == 0)
        #expect(ListValueParser.iopsLimit("+5") == 5)
        #expect(ListValueParser.int("-2147483648") == -2_147_483_648)
        #expect(ListValueParser.int("+") == nil)
        #expect(ListValueParser.ipAddresses("1.2.3.4/+24 fe80::1/-0") == ["1.2.3.4/24", "fe80::1/0"])
        #expect(IPAddress.Masked("1.2.3.4/+24") == nil)
    }

    /// IOLIMIT is bytes with any suffix, clamped to INT_MAX; the multiply
    /// saturates instead of trapping on a huge suffixed value.
    @Test func ioLimitClampsWithoutOverflow() {
        #expect(ListValueParser.ioLimit("16777216T") == 2_147_483_647)
        #expect(ListValueParser.ioLimit("99999999999999999999") == nil)
        #expect(ListValueParser.ioLimit("") == 0)
        #expect(ListValueParser.ioLimit("1k2") == nil)
    }

    /// FEATURES only ever turns bits on; VZConfig's reading lets the last win.
    @Test func featuresFoldDiffersOnlyInRepeats() {
        let text = "nfs:on nfs:off sit:off"
        let settings = OnOffSettings.parseLenient(text, kind: .feature)
        let f = ListValueParser.features(text)
        #expect(settings.isOn("nfs") == false && f.mask & (1 << 1) != 0)
        #expect(settings.isOn("sit") == false && f.mask & (1 << 2) == 0 && f.known & (1 << 2) != 0)
    }

    @Test func namesHaveNoLengthLimitWhenListed() {
        let long = String(repeating: "n", count: 300)
        #expect(ListValueParser.isValidName(long))
        #expect(!ValueSyntax.isValidContainerName(long))
    }

    @Test func veidSubstitutionIsEffectiveConfigsPlusTrimming() {
        let id = ContainerID(value: 101)!
        for v in ["/vz/private/$VEID", "/srv/${VEID}/$VEID/x", "$VEI", "/$VEID$VEID"] {
            #expect(ListConfigReader.substituteVEID(v, id) == EffectiveConfig.substituteVEID(v, id))
        }
        #expect(EffectiveConfig.substituteVEID("/vz/$VEID//", id) == "/vz/101//")
        #expect(ListConfigReader.substituteVEID("/vz/$VEID//", id) == "/vz/101")
    }

    @Test func beancountersAreVZConfigs() {
        for bc in ListedBeancounter.allCases {
            #expect(bc.name == bc.beancounter.rawValue)
            #expect(bc.configKeys == [bc.beancounter.key] + bc.beancounter.legacyKeys)
            #expect(bc.suffixDivisor == bc.beancounter.unit.divisor)
        }
        #expect(ListedBeancounter.allCases.count == Beancounter.allCases.count - 1)
    }
}
