import Glibc
import Testing

/// `debian-12-x86_64-minimal` (templates/debian-12-x86_64-minimal.sh, as
/// admins build it) boots with its own sysvinit as PID 1 and runs sshd.
/// The template is built once per machine into the test cache (zst only:
/// debootstrap from Debian's mirror, 1-3 minutes) and reused afterwards.
@Suite(.serialized)
struct DebianBootTests {
    static let name = "debian-12-x86_64-minimal"
    static let template: String = {
        let cache = "/tmp/vzt-template-cache"
        let file = "\(cache)/\(name).tar.zst"
        let r = Spawn.shell("""
            set -e
            mkdir -p \(cache)
            [ -f '\(file)' ] || '\(TestNode.repo)/templates/\(name).sh' --formats zst --cache \(cache) >&2
            """)
        precondition(r.status == 0, "building \(name) failed (debootstrap needs Debian's mirror): \(r.output)")
        return file
    }()

    @Test func bootsSysvinitAndSshd() {
        TestNode.withRunning { node in
            #expect(Spawn.shell("cp '\(Self.template)' '\(node.root)/vz/template/cache/'").status == 0)
            let c = node.vzctl("create", "901", "--ostemplate", Self.name, "--hostname", "deb.example.com")
            #expect(c.status == 0, "\(c.output)")
            node.appendConfig("901", "STOP_TIMEOUT=60")
            // --wait returns once sysvinit is in its runlevel and the rc
            // scripts are done, so sshd (started by them, with host keys
            // generated on first boot) is there at once.
            let s = node.vzctl("start", "901", "--wait")
            #expect(s.status == 0 && s.stdout.contains("Container started successfully"), "\(s.output)")

            // PID 1 is Debian's sysvinit, not anything of ours.
            #expect(node.vzctl("exec2", "901", "readlink /proc/1/exe").stdout == "/usr/sbin/init\n")
            #expect(node.vzctl("exec2", "901", "runlevel").stdout.hasSuffix(" 2\n"))
            let found = node.vzctl("exec", "901", "pgrep", "sshd").status == 0
            #expect(found, "sshd not running after start --wait: \(node.vzctl("exec2", "901", "ps -ef").output)")
            #expect(node.vzctl("exec2", "901", "ls /etc/ssh/ssh_host_ed25519_key").status == 0, "host keys generated at first boot")
            #expect(node.vzctl("exec2", "901", "hostname").stdout == "deb.example.com\n")

            let stop = node.vzctl("stop", "901")
            #expect(stop.status == 0, "\(stop.output)")
            #expect(!stop.stdout.contains("Killing"), "sysvinit should shut down on request: \(stop.output)")
            #expect(node.isClean("901"), "left: mounts \(node.mounts()) processes \(node.processes())")
        }
    }
}
