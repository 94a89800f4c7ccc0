import Glibc
import Testing

/// Extraction progress goes to stderr only when stderr is a terminal and
/// `--quiet` is not given.
@Suite(.serialized)
struct ProgressTests {
    /// Runs vzctl with stdio on a real pseudo-terminal (Python's pty module)
    /// and returns everything it wrote there.
    static func onTerminal(_ node: TestNode, _ args: [String]) -> (status: Int32, screen: String) {
        let script = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execve(sys.argv[1], sys.argv[1:], {"VZ_SYSROOT": os.environ["VZ_SYSROOT"], "PATH": "/usr/bin:/bin"})
            out = b""
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            _, status = os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let r = Spawn.run(["/usr/bin/python3", "-c", script, Spawn.vzctl] + args, env: node.env)
        return (r.status, r.stdout)
    }

    @Test func progressOnlyOnATerminal() {
        TestNode.with { node in
            let t = TestNode.busyboxName
            var tty = Self.onTerminal(node, ["create", "801", "--ostemplate", t])
            #expect(tty.status == 0, "\(tty.screen)")
            #expect(tty.screen.contains("Extracting template: 100%"), "\(tty.screen.debugDescription)")
            #expect(tty.screen.contains("Container private area was created"))

            tty = Self.onTerminal(node, ["--quiet", "create", "802", "--ostemplate", t])
            #expect(tty.status == 0)
            #expect(!tty.screen.contains("Extracting"), "--quiet: \(tty.screen.debugDescription)")

            let piped = node.vzctl("create", "803", "--ostemplate", t)
            #expect(piped.status == 0)
            #expect(!piped.output.contains("Extracting"), "not a terminal: \(piped.output.debugDescription)")
        }
    }
}
