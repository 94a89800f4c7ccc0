import Glibc
import Testing

extension Spawn {
    static var vzubc: String { binDir + "/vzubc" }
}

extension TestNode {
    func vzubc(_ args: String...) -> ProcessResult { vzubc(args) }
    func vzubc(_ args: [String], env extra: [String: String] = [:]) -> ProcessResult {
        var e = env
        for (k, v) in extra { e[k] = v }
        return Spawn.run([Spawn.vzubc] + args, env: e)
    }

    /// The VPS's cgroup directory that has `file` (`pids.max` lives in the
    /// v1 pids hierarchy here, in the unified leaf on a pure v2 host).
    func cgroupFile(_ ctid: String, _ file: String) -> String? {
        cgroups(ctid).map { $0 + "/" + file }.first { access($0, F_OK) == 0 }
    }

    /// One number of `vzlist -H -o FIELD CTID`.
    func listed(_ ctid: String, _ field: String) -> String {
        vzlist("-H", "-o", field, ctid).stdout.filter { !$0.isWhitespace }
    }
}

/// The accounting side of beancounters on real running VPSes: what the
/// kernel counts reaches vzlist and vzubc, and a limit that bites shows
/// as a rising failcnt. Limits are set by writing the VPS's cgroup files
/// directly (applying them from the config is the enforcement side's).
@Suite(.serialized)
struct BeancounterTests {
    static func write(_ path: String, _ value: String) -> Bool {
        Spawn.shell("echo \(value) > '\(path)'").status == 0
    }

    @Test func failcntRisesWhenTheLimitBites() throws {
        try TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let pidsMax = try #require(node.cgroupFile("101", "pids.max"), "no pids controller for the VPS: \(node.cgroups("101"))")
            let before = node.listed("101", "numproc.f")
            #expect(before == "0", "\(node.vzlist("-o", "numproc.f", "101").output)")

            // NUMPROC 8 as the kernel holds it, then a fork loop inside.
            #expect(Self.write(pidsMax, "8"))
            let loop = node.vzctl("exec", "101", "i=0; while [ $i -lt 20 ]; do sleep 2 & i=$((i+1)); done; wait")
            #expect(loop.stderr.contains("fork"), "the loop was not refused: \(loop.output)")

            let after = try #require(UInt64(node.listed("101", "numproc.f")))
            #expect(after >= 1, "failcnt did not rise: \(after)")
            // The kernel's limit is what vzlist shows, barrier and limit,
            // and the peak reached it.
            #expect(node.listed("101", "numproc.l") == "8")
            #expect(node.listed("101", "numproc.b") == "8")
            #expect(UInt64(node.listed("101", "numproc.m")).map { $0 >= 8 } == true)

            // vzubc says the same: the numproc row is red-worthy and in -q.
            let q = node.vzubc("-q", "101")
            #expect(q.status == 0, "\(q.output)")
            let row = q.stdout.split(separator: "\n").first { $0.hasPrefix("      numproc|") }.map(String.init)
            let fail = "\(after) "
            #expect(row?.hasSuffix("|   8 |   8 | " + String(repeating: " ", count: max(0, 5 - fail.count)) + fail) == true,
                    "\(q.stdout)")
            let res = node.vzubc("--ct-resources", "101").stdout
            let fields = res.split(separator: "\n").first { $0.contains(" numproc ") }?.split(separator: " ") ?? []
            #expect(fields.count == 6 && fields[5] == Substring(String(after)) && fields[3] == "8" && fields[4] == "8", "\(res)")

            // RAM: 32 MiB and no swapping, a 48 MiB hog is killed inside,
            // init lives; physpages failcnt and the OOM kills (oomguarpages)
            // rise. (On v1 only the RAM limit is set: 6.13+ counts no
            // refusal at a memory+swap limit, see BeancounterFiles.)
            let memLimit = try #require(node.cgroupFile("101", "memory.limit_in_bytes") ?? node.cgroupFile("101", "memory.max"))
            #expect(node.listed("101", "physpages.f") == "0")
            #expect(Self.write(pidsMax, "max"))
            #expect(Self.write(memLimit, "33554432"))
            if let v1 = node.cgroupFile("101", "memory.swappiness") { #expect(Self.write(v1, "0")) }
            if let swap = node.cgroupFile("101", "memory.swap.max") { #expect(Self.write(swap, "0")) }
            let hog = node.vzctl("exec", "101", "dd if=/dev/zero of=/dev/null bs=48M count=1")
            #expect(hog.status != 0, "the hog was not stopped: \(hog.output)")
            #expect(node.status("101") == "CTID 101 exist mounted running")
            #expect(UInt64(node.listed("101", "physpages.f")).map { $0 >= 1 } == true, "\(node.vzlist("-o", "physpages,physpages.f,physpages.l", "101").output)")
            #expect(node.listed("101", "physpages.l") == "8192")
            #expect(UInt64(node.listed("101", "oomguarpages.f")).map { $0 >= 1 } == true)
        }
    }

    @Test func vzubcAndVzlistReadTheRunningVPS() throws {
        TestNode.withRunning { node in
            node.createBusybox("101")
            node.createBusybox("102")
            #expect(node.vzctl("start", "101").status == 0)
            #expect(node.vzctl("start", "102").status == 0)

            // numpty: a pty held open inside; shmpages: 2 MiB on its tmpfs.
            var r = node.vzctl("exec", "101", "sleep 600 3<>/dev/ptmx </dev/null >/dev/null 2>&1 & dd if=/dev/zero of=/dev/shm/blob bs=1024 count=2048 2>/dev/null")
            #expect(r.status == 0, "\(r.output)")
            #expect(node.listed("101", "numpty") == "1")
            #expect(node.listed("102", "numpty") == "0")
            #expect(UInt64(node.listed("101", "shmpages")).map { $0 >= 512 } == true, "\(node.vzlist("-o", "shmpages", "101").output)")
            #expect(UInt64(node.listed("101", "numproc")).map { $0 >= 2 } == true)
            // Numbers the kernel does not keep are `-`, not 0.
            #expect(node.listed("101", "numpty.m") == "-")
            #expect(node.listed("101", "privvmpages") == "-")

            // -j carries the readings; null where there is none.
            let json = node.vzlist("-j", "-o", "ctid,numpty,privvmpages", "101").stdout
            #expect(json.contains("\"numpty\": {\n      \"held\": 1,\n      \"maxheld\": null,"), "\(json)")
            #expect(json.contains("\"privvmpages\": {\n      \"held\": null,"), "\(json)")

            // The table: both CTs, vswap rows of the sample config.
            r = node.vzubc()
            #expect(r.status == 0 && r.stderr.isEmpty, "\(r.output)")
            #expect(r.stdout.contains("CT 101       |") && r.stdout.contains("CT 102       |"), "\(r.stdout)")
            #expect(r.stdout.contains("    physpages|") && r.stdout.contains("    swappages|"))
            // -v: every row, each with its mechanism, n/a where nothing is counted.
            r = node.vzubc("-v", "101")
            #expect(r.stdout.contains("  privvmpages|  n/a") && r.stdout.contains("not enforced"), "\(r.stdout)")
            #expect(r.stdout.contains("pids cgroup") && r.stdout.contains("devpts max"))
            #expect(!r.stdout.contains("CT 102"))

            // The kernel formats, and reading them back with -f.
            let ubc = node.vzubc("--user-beancounters")
            #expect(ubc.stdout.hasPrefix("Version: 2.5\n       uid  resource"), "\(ubc.stdout)")
            #expect(ubc.stdout.contains("      101:  kmemsize ") && ubc.stdout.contains("      102:  kmemsize "))
            #expect(ubc.stdout.split(separator: "\n").count == 2 + 2 * 24)
            let file = "/tmp/vzt-ubc-\(getpid())"
            defer { unlink(file) }
            #expect(Spawn.shell("cat > \(file) <<'EOF'\n\(ubc.stdout)EOF").status == 0)
            r = node.vzubc("-v", "-f", file, "102")
            #expect(r.status == 0 && r.stdout.contains("CT 102") && !r.stdout.contains("CT 101"), "\(r.output)")
            // An OpenVZ file has no mechanisms to tag.
            #expect(!r.stdout.contains("pids cgroup"))
            r = node.vzubc("-j")
            #expect(r.stdout.contains("\"enforcement\": \"pids-cgroup\""), "\(r.stdout)")

            // A VPS that is not running: said, not an error; a bad name is one.
            #expect(node.vzctl("stop", "--fast", "102").status == 0)
            r = node.vzubc("102")
            #expect(r.status == 0 && r.stdout.isEmpty && r.stderr == "CT 102 is not running: no beancounters\n", "\(r.output)")
            #expect(node.vzubc("no-such-name").status == 1)
        }
    }

    /// -r keeps the last failcnt in a private store; -rc forgets it.
    @Test func relativeModeAndItsStore() throws {
        try TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let pidsMax = try #require(node.cgroupFile("101", "pids.max"))
            #expect(Self.write(pidsMax, "4"))
            _ = node.vzctl("exec", "101", "for i in 1 2 3 4 5 6; do sleep 1 & done; wait")
            let failcnt = try #require(UInt64(node.listed("101", "numproc.f")))
            #expect(failcnt >= 1)

            let store = "/tmp/vzt-ubcstore-\(getpid())"
            defer { _ = Spawn.shell("rm -rf '\(store)'") }
            var r = node.vzubc("-r", "-rd", store, "101")
            #expect(r.status == 0 && r.stdout.contains("|+FAIL"), "\(r.output)")
            #expect(Spawn.readText("\(store)/ubc.101.numproc.failcnt") == "\(failcnt)\n")
            var st = stat()
            #expect(lstat(store, &st) == 0 && st.st_mode & 0o777 == 0o700)
            // Nothing new since: the relative count is 0 (shown as `-`).
            func failColumn(_ out: String) -> String? {
                out.split(separator: "\n").first { $0.hasPrefix("      numproc|") }?.split(separator: "|").last.map(String.init)
            }
            r = node.vzubc("-r", "-rd", store, "101")
            #expect(failColumn(r.stdout) == "    - ", "\(r.stdout)")
            // -rc clears it: the whole count again.
            r = node.vzubc("-rc", "-r", "-rd", store, "101")
            #expect(failColumn(r.stdout)?.contains("\(failcnt) ") == true, "\(r.stdout)")

            // A store someone else can write to is refused, as is a symlink.
            #expect(chmod(store, 0o777) == 0)
            r = node.vzubc("-r", "-rd", store, "101")
            #expect(r.status == 1 && r.stderr.contains("not private"), "\(r.output)")
            let link = store + ".link"
            defer { unlink(link) }
            #expect(symlink("/etc", link) == 0)
            r = node.vzubc("-r", "-rd", link, "101")
            #expect(r.status == 1 && r.stderr.contains("symlink"), "\(r.output)")
        }
    }

    /// -w hands the same command (plus -W) to watch(1); a stub watch in
    /// PATH records its arguments and runs the command once.
    @Test func watchRerunsTheSameCommand() throws {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let dir = "/tmp/vzt-watch-\(getpid())"
            defer { _ = Spawn.shell("rm -rf '\(dir)'") }
            #expect(Spawn.shell("""
                mkdir -p '\(dir)' && cat > '\(dir)/watch' <<'EOF'
                #!/bin/sh
                echo "$@" > "$(dirname "$0")/args"
                while [ "$1" != "--" ]; do shift; done; shift
                exec "$@"
                EOF
                chmod +x '\(dir)/watch'
                """).status == 0)
            let r = node.vzubc(["-wd", "-wn", "3", "-rc", "-v", "101"], env: ["PATH": dir + ":/usr/bin:/bin"])
            #expect(r.status == 0 && r.stdout.contains("CT 101"), "\(r.output)")
            #expect(Spawn.readText(dir + "/args") == "-d -n 3 -x -- \(Spawn.vzubc) -wd -wn 3 -v 101 -W\n")
            // Colour and watch do not mix (4.x).
            #expect(node.vzubc("-w", "-c").status == 1)
        }
    }
}
