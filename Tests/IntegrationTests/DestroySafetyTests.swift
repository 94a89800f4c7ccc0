import Glibc
import Testing

/// `destroy` of a container whose tree was shaped hostilely removes the
/// container and nothing else (security guide §3.1).
@Suite(.serialized)
struct DestroySafetyTests {
    @Test func destroyRemovesExactlyTheContainer() {
        TestNode.with { node in
            #expect(node.vzctl("create", "401", "--ostemplate", TestNode.busyboxName).status == 0)
            // Host canaries outside the sysroot's private area.
            let canary = node.path("/canary")
            let setup = Spawn.shell("""
                set -e
                mkdir -p '\(canary)/dir/sub' '\(canary)/bound'
                echo keep > '\(canary)/file'; echo keep > '\(canary)/dir/sub/f'; echo keep > '\(canary)/bound/f'
                p='\(node.path("/vz/private/401"))'
                ln -s '\(canary)' "$p/link-to-host-dir"
                ln -s '\(canary)/file' "$p/link-to-host-file"
                ln -s / "$p/link-to-root"
                ln -s ../../../../../../../../.. "$p/link-up"
                mkdir "$p/mnt/bound"
                mount --bind '\(canary)/bound' "$p/mnt/bound"
                # A path far beyond PATH_MAX (4096 bytes), built with relative
                # chdir()s as container root could (shells refuse such a cwd).
                python3 -c 'import os,sys; os.chdir(sys.argv[1])
                for i in range(45): os.mkdir("d"*100); os.chdir("d"*100)
                open("deepfile","w").write("deep")' "$p/root"
                """)
            #expect(setup.status == 0, "\(setup.output)")
            let depth = Spawn.shell("cd '\(node.path("/vz/private/401/root"))' && find . -name deepfile | head -1 | wc -c").stdout
            #expect((Int(depth.filter(\.isNumber)) ?? 0) > 4096, "the deep path must exceed PATH_MAX: \(depth)")
            let hostBefore = Spawn.shell("cd '\(canary)' && find . | sort && cat file dir/sub/f bound/f").stdout

            let r = node.vzctl("destroy", "401")
            #expect(r.status == 0, "\(r.output)")
            #expect(!node.exists("/vz/private/401"))
            #expect(node.tree("/vz/private").isEmpty, "\(node.tree("/vz/private"))")
            let hostAfter = Spawn.shell("cd '\(canary)' && find . | sort && cat file dir/sub/f bound/f").stdout
            #expect(hostAfter == hostBefore)
            #expect(node.mounts().isEmpty, "bind mount left behind: \(node.mounts())")
            #expect(access("/etc/passwd", F_OK) == 0)
        }
    }

    /// A config edited to point VE_PRIVATE at a directory vzctl did not make
    /// is refused, and that directory survives.
    @Test func destroyRefusesForeignPrivate() {
        TestNode.with { node in
            #expect(node.vzctl("create", "402", "--ostemplate", TestNode.busyboxName).status == 0)
            #expect(Spawn.shell("mkdir -p '\(node.path("/precious/data"))' && echo x > '\(node.path("/precious/data/f"))'").status == 0)
            #expect(node.vzctl("set", "402", "--private", "/precious", "--save").status == 0)
            let r = node.vzctl("destroy", "402")
            #expect(r.status == 52, "\(r.output)")
            #expect(node.exists("/precious/data/f"))
            // Another container's private area is refused too.
            #expect(node.vzctl("create", "403", "--ostemplate", TestNode.busyboxName).status == 0)
            #expect(node.vzctl("set", "402", "--private", "/vz/private/403", "--save").status == 0)
            #expect(node.vzctl("destroy", "402").status == 52)
            #expect(node.exists("/vz/private/403/bin/busybox"))
        }
    }
}
