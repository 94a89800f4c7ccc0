import Glibc
import Testing
@testable import VZConfig

/// A CTID.conf as admins leave them: comments, blanks, unknown keys, an
/// unquoted append, `export`, single quotes, CRLF, a duplicate.
private let sample = """
# Copyright header kept verbatim
ONBOOT="yes"

# UBC parameters (in form of barrier:limit)
PHYSPAGES="0:256M"
SWAPPAGES="0:512M"
MY_TOOL_SETTING="keep me"   # trailing comment
VE_ROOT=/vz/root/$VEID
export VE_PRIVATE="/vz/private/$VEID"
OSTEMPLATE='debian-12-x86_64-minimal'
HOSTNAME="first.example.com"
  DESCRIPTION="indented"\r
not a key line
HOSTNAME="second.example.com"
IP_ADDRESS="10.0.0.1 10.0.0.2"

"""

/// The sample without the line a shell would run as a command.
private let shellSample = sample.replacingOccurrences("not a key line\n", "")

@Suite struct ConfigFileTests {
    @Test func untouchedFileRendersByteForByte() {
        let f = ConfigFile(text: sample)
        #expect(f.render() == sample)
        let noTrailingNewline = "A=\"1\"\n# c\nB=2"
        #expect(ConfigFile(text: noTrailingNewline).render() == noTrailingNewline + "\n")
        #expect(ConfigFile(text: "").render() == "")
        #expect(ConfigFile(text: "\n\n").render() == "\n\n")
    }

    @Test(arguments: [
        ("ONBOOT", "yes"), ("PHYSPAGES", "0:256M"), ("MY_TOOL_SETTING", "keep me"),
        ("VE_ROOT", "/vz/root/$VEID"), ("VE_PRIVATE", "/vz/private/$VEID"),
        ("OSTEMPLATE", "debian-12-x86_64-minimal"), ("DESCRIPTION", "indented"),
        ("IP_ADDRESS", "10.0.0.1 10.0.0.2"),
    ])
    func readsValuesLikeVzctl(key: String, value: String) {
        #expect(ConfigFile(text: sample).value(key) == value)
    }

    @Test func firstDuplicateWinsAndIsReported() {
        let f = ConfigFile(text: sample)
        #expect(f["HOSTNAME"] == "first.example.com")
        #expect(f.hasDuplicates(of: "HOSTNAME"))
        #expect(f.duplicateWarnings(path: "/etc/vz/conf/101.conf") == [
            "Warning at /etc/vz/conf/101.conf:14: duplicate for HOSTNAME, ignored",
        ])
        #expect(f.keys.filter { $0 == "HOSTNAME" }.count == 1)
        #expect(f["not"] == nil)
    }

    @Test func changedKeyIsRewrittenInPlaceAndDuplicatesDropped() throws {
        var f = ConfigFile(text: sample)
        try f.set("HOSTNAME", "new.example.com")
        // Byte-wise: "\r\n" is a single Character.
        let lines = f.render().utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let original = sample.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        #expect(lines[10] == "HOSTNAME=\"new.example.com\"")
        #expect(!f.render().contains("second.example.com"))
        // Every other line survives, in order.
        var expected = original
        expected[10] = "HOSTNAME=\"new.example.com\""
        expected.remove(at: 13)
        #expect(lines == expected)
        #expect(f.duplicates.isEmpty)
    }

    @Test func settingTheSameValueStillRemovesDuplicates() throws {
        var f = ConfigFile(text: "A=\"1\"\nB=\"2\"\nA=\"3\"\n")
        try f.set("A", "1")
        #expect(f.render() == "A=\"1\"\nB=\"2\"\n")
        let g = f
        try f.set("B", "2")
        #expect(f == g)
    }

    @Test func newKeysAreAppendedInOrder() throws {
        var f = ConfigFile(text: sample)
        try f.set("NAME", "web1")
        try f.set("CPUUNITS", "1000")
        #expect(f.render() == sample + "NAME=\"web1\"\nCPUUNITS=\"1000\"\n")
        try f.set("HOSTNAME", "x.example.com")
        #expect(f.render().hasSuffix("IP_ADDRESS=\"10.0.0.1 10.0.0.2\"\nNAME=\"web1\"\nCPUUNITS=\"1000\"\n"))
        #expect(!f.render().contains("second.example.com"))
    }

    @Test func crlfLinesStaySeparateLines() throws {
        var f = ConfigFile(text: "A=\"1\"\r\nB=\"2\"\r\n")
        #expect(f["A"] == "1")
        #expect(f["B"] == "2")
        #expect(f.render() == "A=\"1\"\r\nB=\"2\"\r\n")
        try f.set("B", "3")
        #expect(f.render() == "A=\"1\"\r\nB=\"3\"\n")
    }

    @Test func removeDropsEveryAssignment() {
        var f = ConfigFile(text: sample)
        f.remove("HOSTNAME")
        #expect(f["HOSTNAME"] == nil)
        #expect(!f.render().contains("HOSTNAME"))
        #expect(f.render().contains("# Copyright header kept verbatim"))
    }

    // MARK: - Refused values (security guide §3.3)

    @Test(arguments: [
        ("newline", "a\nVE_ROOT=\"/\""), ("cr", "a\rb"), ("dquote", "a\"b"), ("dollar", "$(id)"),
        ("dollar var", "$HOME"), ("backquote", "`id`"), ("backslash", "a\\"), ("tab", "a\tb"),
        ("nul", "a\u{0}b"), ("del", "a\u{7F}"), ("too long", String(repeating: "x", count: ConfigValue.maxLength + 1)),
    ])
    func unsafeValuesAreRefusedWith21(_ what: String, _ value: String) {
        var f = ConfigFile(text: sample)
        let before = f.render()
        #expect(throws: VZError.self) { try f.set("DESCRIPTION", value) }
        do { try f.set("DESCRIPTION", value) } catch { #expect(error.code == .invalidValue) }
        #expect(f.render() == before, "file untouched after refusing \(what)")
    }

    @Test func veidIsAllowedOnlyInRootAndPrivate() throws {
        var f = ConfigFile()
        try f.set("VE_ROOT", "/vz/root/$VEID")
        try f.set("VE_PRIVATE", "/data/$VEID/private")
        for key in ["HOSTNAME", "DESCRIPTION", "TEMPLATE"] {
            #expect(throws: VZError.self) { try f.set(key, "/vz/$VEID") }
        }
        #expect(throws: VZError.self) { try f.set("VE_ROOT", "/vz/$VEIDX$(id)") }
        #expect(throws: VZError.self) { try f.set("VE_ROOT", "/vz/${VEID}") }
    }

    @Test(arguments: ["", "1ABC", "A-B", "A B", "A=B", "ä"])
    func badKeysAreRefused(_ key: String) {
        var f = ConfigFile()
        #expect(throws: VZError.self) { try f.set(key, "x") }
    }

    @Test(arguments: ["ALL_GOOD", "_X", "x1"])
    func goodKeysAreAccepted(_ key: String) throws {
        var f = ConfigFile()
        try f.set(key, "v")
        #expect(f[key] == "v")
    }

    // MARK: - The written file sources back to the exact value

    static let acceptedValues: [String] = [
        "plain", "", "with spaces  inside", " leading and trailing ", "it's", "a;id", "a && b || c",
        "#not a comment", "*", "~root", "{a,b}", "!event", "%s%n", "a=b", "ünïcödé ✓", "'single'",
        "<redirect> | pipe", "semi;colon", "(sub)", "[glob]?",
    ]

    @Test(arguments: acceptedValues)
    func acceptedValueSourcesBackExactly(_ value: String) throws {
        try #require(ShellHarness.available)
        var f = ConfigFile(text: shellSample)
        try f.set("DESCRIPTION", value)
        let r = ShellHarness.sourcedValue(of: "DESCRIPTION", in: f.render())
        #expect(r.status == 0)
        #expect(r.value == value)
        // And our own reader agrees with bash.
        #expect(ConfigFile(text: f.render())["DESCRIPTION"] == value)
    }

    @Test func veidExpandsTheSameInBashAndInEffectiveConfig() throws {
        try #require(ShellHarness.available)
        var f = ConfigFile()
        try f.set("VE_PRIVATE", "/vz/private/$VEID")
        let r = ShellHarness.sourcedValue(of: "VE_PRIVATE", in: f.render(), veid: "101")
        let eff = EffectiveConfig(ctid: ContainerID("101")!, global: ConfigFile(), container: f)
        #expect(r.value == "/vz/private/101")
        #expect(eff["VE_PRIVATE"] == r.value)
    }

    @Test func sampleStaysValidShellAfterEdits() throws {
        try #require(ShellHarness.available)
        var f = ConfigFile(text: shellSample)
        try f.set("HOSTNAME", "ct101.example.com")
        try f.set("NEW_KEY", "x y")
        let path = ShellHarness.writeTemp(f.render())
        defer { _ = path.withCString { unlink($0) } }
        let r = ShellHarness.run(script: "set -e; source \"$1\"; printf '%s|%s|%s' \"$HOSTNAME\" \"$NEW_KEY\" \"$MY_TOOL_SETTING\"", args: [path])
        #expect(r.status == 0)
        // A shell takes the LAST duplicate; the writer left only one.
        #expect(r.stdout == "ct101.example.com|x y|keep me")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
