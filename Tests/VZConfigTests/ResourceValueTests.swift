import Testing
import VZConfig

private let unlimited = ScaledNumber.unlimited

@Suite struct ResourceValueTests {
    /// (input, unit, barrier, limit, stored form)
    static let accepted: [(String, ResourceUnit, UInt64, UInt64, String)] = [
        // Pages: byte suffixes become pages of 4096, P is pages.
        ("5M:6M", .pages, 1280, 1536, "1280:1536"),
        ("256M", .pages, 65536, 65536, "65536"),
        ("0:256M", .pages, 0, 65536, "0:65536"),
        ("1G", .pages, 262_144, 262_144, "262144"),
        ("1T", .pages, 268_435_456, 268_435_456, "268435456"),
        ("4096B", .pages, 1, 1, "1"),
        ("1K", .pages, 0, 0, "0"),
        ("8K", .pages, 2, 2, "2"),
        ("10P", .pages, 10, 10, "10"),
        ("10p:20P", .pages, 10, 20, "10:20"),
        ("2.5M", .pages, 640, 640, "640"),
        ("65536:69632", .pages, 65536, 69632, "65536:69632"),
        ("1g", .pages, 262_144, 262_144, "262144"),
        // Bytes.
        ("14372700:14790164", .bytes, 14_372_700, 14_790_164, "14372700:14790164"),
        ("1K", .bytes, 1024, 1024, "1024"),
        ("1M", .bytes, 1_048_576, 1_048_576, "1048576"),
        ("1G", .bytes, 1_073_741_824, 1_073_741_824, "1073741824"),
        ("1T", .bytes, 1_099_511_627_776, 1_099_511_627_776, "1099511627776"),
        ("1P", .bytes, 4096, 4096, "4096"),
        ("10B", .bytes, 10, 10, "10"),
        ("1.5K:2K", .bytes, 1536, 2048, "1536:2048"),
        // Items: plain numbers only.
        ("240:240", .items, 240, 240, "240"),
        ("240", .items, 240, 240, "240"),
        ("16:20", .items, 16, 20, "16:20"),
        ("007", .items, 7, 7, "7"),
        // Disk space in KB.
        ("2G:2.2G", .kilobytes, 2_097_152, 2_306_867, "2097152:2306867"),
        ("1M", .kilobytes, 1024, 1024, "1024"),
        ("1048576", .kilobytes, 1_048_576, 1_048_576, "1048576"),
        ("1T", .kilobytes, 1_073_741_824, 1_073_741_824, "1073741824"),
        // Unlimited and the 32/64-bit magic numbers.
        ("unlimited", .pages, unlimited, unlimited, "unlimited"),
        ("unlimited", .items, unlimited, unlimited, "unlimited"),
        ("9223372036854775807", .items, unlimited, unlimited, "unlimited"),
        ("9223372036854775807:9223372036854775807", .bytes, unlimited, unlimited, "unlimited"),
        ("0:unlimited", .pages, 0, unlimited, "0:unlimited"),
        ("33792:unlimited", .pages, 33792, unlimited, "33792:unlimited"),
        ("2147483647", .items, 2_147_483_647, 2_147_483_647, "2147483647"),
        ("2147483647:2147483647", .pages, 2_147_483_647, 2_147_483_647, "2147483647"),
        ("0", .items, 0, 0, "0"),
    ]

    @Test(arguments: accepted)
    func acceptedValues(_ input: String, _ unit: ResourceUnit, _ barrier: UInt64, _ limit: UInt64, _ stored: String) throws {
        let v = try #require(ResourceValue.parse(input, unit: unit))
        #expect(v.barrier == barrier)
        #expect(v.limit == limit)
        #expect(v.description == stored)
        // The stored form reads back to the same value.
        #expect(ResourceValue.parse(stored, unit: unit) == v)
    }

    static let refused: [(String, ResourceUnit)] = [
        ("", .pages), (":", .pages), ("5M:", .pages), (":5M", .pages), ("1:2:3", .items),
        ("-1", .items), ("+1", .items), (" 1", .items), ("1 ", .items), ("abc", .bytes),
        ("1X", .bytes), ("1MB", .bytes), ("1.5", .bytes), ("1.", .bytes), (".5K", .bytes),
        ("18446744073709551616", .items), ("unlimitedK", .pages), ("unlimited:", .pages),
        ("0x10", .items), ("1e3", .items),
        // No suffix on item counters.
        ("1K", .items), ("10P", .items), ("2.5", .items), ("1B", .items),
    ]

    @Test(arguments: refused)
    func refusedValues(_ input: String, _ unit: ResourceUnit) {
        #expect(ResourceValue.parse(input, unit: unit) == nil)
        #expect(throws: VZError.self) { try ResourceValue.parse(input, unit: unit, option: "x") }
        do { _ = try ResourceValue.parse(input, unit: unit, option: "x") } catch { #expect(error.code == .invalidValue) }
    }

    @Test(arguments: [
        ("18446744073709551615", ResourceUnit.items), ("9223372036854775808", .bytes),
        ("99999999999T", .pages), ("18446744073709551615T", .bytes), ("9999999999999999.9T", .kilobytes),
    ])
    func tooLargeIsClampedToUnlimited(_ input: String, _ unit: ResourceUnit) throws {
        let r = try #require(ResourceValue.parseReportingTruncation(input, unit: unit))
        #expect(r.truncated)
        #expect(r.value == .unlimited)
    }

    @Test(arguments: [
        ("1G", "0:262144"), ("256M", "0:65536"), ("1", "0:1"), ("4097", "0:2"), ("4096", "0:1"),
        ("0", "0"), ("unlimited", "0:unlimited"), ("1.5G", "0:393216"), ("1T", "0:268435456"),
    ])
    func ramAndSwapAreBytesRoundedUpToPages(_ input: String, _ stored: String) throws {
        #expect(try ResourceValue.vswap(input, option: "ram").description == stored)
    }

    @Test(arguments: ["", "1G:2G", "-1", "lots", "1Q"])
    func ramRefusesBadValues(_ input: String) {
        #expect(throws: VZError.self) { try ResourceValue.vswap(input, option: "ram") }
    }

    @Test func diskValuesAreAlwaysWrittenAsPairs() throws {
        #expect(try #require(ResourceValue.parse("1G", unit: .kilobytes)).pairDescription == "1048576:1048576")
    }

    @Test func beancounterTableMatchesCompat() {
        #expect(Beancounter.allCases.count == 22)
        #expect(Beancounter.kmemsize.key == "KMEMSIZE")
        #expect(Beancounter.privvmpages.unit == .pages)
        #expect(Beancounter.tcprcvbuf.unit == .bytes)
        #expect(Beancounter.numproc.unit == .items)
        #expect(Beancounter.avnumproc.unit == .items)
        #expect(Beancounter(key: "DCACHE") == .dcachesize)
        #expect(Beancounter(key: "IPTENTRIES") == .numiptent)
        let shorts = Dictionary(uniqueKeysWithValues: Beancounter.allCases.compactMap { b in b.shortOption.map { ($0, b) } })
        #expect(shorts == ["p": .numproc, "t": .numpty, "k": .kmemsize, "l": .lockedpages, "f": .numflock,
                           "i": .numsiginfo, "b": .tcprcvbuf, "n": .numfile, "x": .dcachesize, "e": .numiptent])
    }

    @Test func scaledNumberParsesFractionsExactly() {
        // 2.2 GiB in KB is 2306867.2 → 2306867, with no float rounding surprises.
        #expect(ScaledNumber.parse("2.2G", divisor: 1024)?.value == 2_306_867)
        #expect(ScaledNumber.parse("0.1K", divisor: 1)?.value == 102)
        #expect(ScaledNumber.parse("1.00000000000000000000001G", divisor: 1)?.value == 1_073_741_824)
    }
}

@Suite struct ContainerIDTests {
    static let rejected: [String] = [
        "0", "-1", "abc", "101abc", "1e3", "0x10", " 101", "101 ", "+101", "../", "101/../x", "",
        "18446744073709551616", "2147483645", "4294967297", "101\n", ";id", "*", "0101", "00",
        "99999999999999999999999", "١٠١",
    ]

    @Test(arguments: rejected)
    func rejectsNonCanonicalIDs(_ text: String) {
        #expect(ContainerID(text) == nil)
        #expect(throws: VZError.self) { try ContainerID.parse(text) }
        do { _ = try ContainerID.parse(text) } catch { #expect(error.code == .invalidValue) }
    }

    @Test(arguments: [("1", UInt32(1)), ("101", 101), ("2147483644", 2_147_483_644), ("100", 100)])
    func acceptsValidIDs(_ text: String, _ value: UInt32) throws {
        let id = try ContainerID.parse(text)
        #expect(id.value == value)
        #expect(id.description == text)
    }

    @Test func valueInitializerHonoursRange() {
        #expect(ContainerID(value: 0) == nil)
        #expect(ContainerID(value: 2_147_483_645) == nil)
        #expect(ContainerID(value: 2_147_483_644)?.description == "2147483644")
    }
}
