import Glibc
import Testing

/// `vzctl enter` driven through a real pseudo-terminal (Python's pty
/// module): the outer pty plays the admin's terminal.
@Suite(.serialized)
struct EnterTests {
    /// Runs `sh -c 'stty rows 30 cols 100; stty -g >BEFORE; vzctl ARGS;
    /// echo rc=$?; stty -g >AFTER'` on a fresh pty and plays `steps`: each
    /// step sends its text (if any) and then waits for its expected bytes.
    /// `resize R C` steps change the outer window size, `pause S` waits. Returns the screen
    /// and whether the terminal mode was the same before and after.
    static func session(_ node: TestNode, _ args: [String], _ steps: [(send: String, expect: String)])
        -> (screen: String, modeRestored: Bool)
    {
        let tag = "/tmp/vzt-enter-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(tag + ".before"); unlink(tag + ".after") }
        let script = """
            import os, pty, sys, time, select, fcntl, termios, struct
            def strings(hexes):
                return ["" if h == "-" else bytes.fromhex(h).decode() for h in hexes.split(",")] if hexes else []
            vz, tag, args = sys.argv[1], sys.argv[2], strings(sys.argv[3])
            flat = strings(sys.argv[4])
            steps = list(zip(flat[0::2], flat[1::2]))
            pid, fd = pty.fork()
            if pid == 0:
                cmd = 'stty rows 30 cols 100; stty -g > "$0.before"; "$@"; echo "rc=$?"; stty -g > "$0.after"'
                os.execve("/bin/sh", ["sh", "-c", cmd, tag, vz] + args,
                          {"VZ_SYSROOT": os.environ["VZ_SYSROOT"], "PATH": "/usr/bin:/bin", "TERM": "xterm-vzt"})
            out = b""
            def until(needle, timeout=10):
                global out
                end = time.time() + timeout
                while needle.encode() not in out and time.time() < end:
                    r, _, _ = select.select([fd], [], [], 0.1)
                    if r:
                        try:
                            chunk = os.read(fd, 65536)
                        except OSError:
                            return
                        if not chunk:
                            return
                        out += chunk
            for send, expect in steps:
                if send.startswith("resize "):
                    rows, cols = map(int, send.split()[1:])
                    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                    time.sleep(0.2)
                elif send.startswith("pause "):
                    time.sleep(float(send.split()[1]))
                elif send:
                    os.write(fd, send.encode())
                until(expect)
            until("rc=")
            until("\\n__eof__", 2)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            """
        // Arguments travel hex-encoded (control characters, quotes); "-" is "".
        func hex(_ a: [String]) -> String {
            a.map { $0.isEmpty ? "-" : $0.utf8.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
                .joined(separator: ",")
        }
        let flat = steps.flatMap { [$0.send, $0.expect] }
        let r = Spawn.run(["/usr/bin/python3", "-c", script, Spawn.vzctl, tag, hex(args), hex(flat)], env: node.env)
        let before = Spawn.readText(tag + ".before"), after = Spawn.readText(tag + ".after")
        return (r.stdout, !before.isEmpty && before == after)
    }

    /// `vzctl console`: attached to the VPS's /dev/console (a shell that
    /// busybox init respawns there), keys go in, output comes back, `Esc .`
    /// detaches and leaves the VPS running; the console log has it too.
    @Test func consoleAttachAndDetach() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            let inittab = node.privatePath("101") + "/etc/inittab"
            #expect(Spawn.shell("echo '::respawn:-/bin/sh' >> '\(inittab)'").status == 0)
            #expect(node.vzctl("start", "101").status == 0)
            let s = EnterTests.session(node, ["console", "101"], [
                ("", "Attached to CT 101"),
                ("\r", ""),
                ("echo con-$((6*7))\r", "con-42"),
                ("echo $$ $(tty)\r", "/dev/console"),
                ("\u{1b}.", "Detached from CT 101"),
            ])
            #expect(s.screen.contains("con-42") && s.screen.contains("/dev/console"), "\(s.screen.debugDescription)")
            #expect(s.screen.contains("rc=0"), "\(s.screen.debugDescription)")
            #expect(s.modeRestored, "terminal mode not restored")
            #expect(node.status("101") == "CTID 101 exist mounted running")
            #expect(Spawn.readText(node.path("/var/log/vzctl/101.console")).contains("con-42"))
            // Not running: 31, as exec2.
            #expect(node.vzctl("stop", "--fast", "101").status == 0)
            #expect(node.vzctl("console", "101").status == 31)
            #expect(node.isClean("101"))
        }
    }

    @Test func interactiveSession() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let s = EnterTests.session(node, ["enter", "101"], [
                ("", "entered into CT 101"),
                ("echo marker-$((6*7))\r", "marker-42"),
                ("stty size; tty; echo T=$TERM U=$USER H=$HOME\r", "T=xterm"),
                ("resize 40 120", ""),
                ("stty size\r", "40 120"),
                // ^C reaches the shell inside (raw mode), not vzctl.
                // (after a pause: ^C typed while the shell still edits the
                // line would be a byte for its line editor, not SIGINT)
                ("sleep 30\r", "sleep 30"),
                ("pause 0.5", ""),
                ("\u{3}", "^C"),
                ("echo still-$((1+1))\r", "still-2"),
                ("exit\r", "exited from CT 101"),
            ])
            let screen = s.screen
            #expect(screen.contains("entered into CT 101"), "\(screen.debugDescription)")
            #expect(screen.contains("marker-42"), "\(screen.debugDescription)")
            #expect(screen.contains("30 100"), "initial size: \(screen.debugDescription)")
            #expect(screen.contains("/dev/pts/0"), "a pty of the VPS's devpts: \(screen.debugDescription)")
            #expect(screen.contains("T=xterm-vzt U=root H=/root"), "\(screen.debugDescription)")
            #expect(screen.contains("40 120"), "resized: \(screen.debugDescription)")
            #expect(screen.contains("still-2"), "\(screen.debugDescription)")
            #expect(screen.contains("exited from CT 101"), "\(screen.debugDescription)")
            #expect(screen.contains("rc=0"), "\(screen.debugDescription)")
            #expect(s.modeRestored, "stty -g differs after enter")
        }
    }

    @Test func execTypesTheCommandAndOtherPaths() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            var s = EnterTests.session(node, ["enter", "101", "--exec", "echo", "typed-$((2*3))"], [
                ("", "typed-6"), ("exit\r", "exited from CT 101"),
            ])
            #expect(s.screen.contains("typed-6") && s.screen.contains("rc=0"), "\(s.screen.debugDescription)")
            #expect(s.modeRestored)

            // stdin not a terminal: no raw mode, input relayed, EOF ends it.
            let piped = ExecTests.host(node, "printf 'echo piped-$((3*3))\\nexit\\n' | \"$VZCTL\" enter 101")
            #expect(piped.status == 0 && piped.stdout.contains("piped-9") && piped.stdout.contains("exited from CT 101"), "\(piped.output)")

            // exec from a terminal: the payload has no controlling tty (its
            // own session), so TIOCSTI into the admin's terminal is refused.
            s = EnterTests.session(node, ["exec3", "101", "cat", "/proc/self/stat"], [])
            let fields = s.screen.split(separator: ")").last?.split(separator: " ") ?? []
            #expect(fields.count > 5 && fields[4] == "0", "tty_nr: \(s.screen.debugDescription)")
            #expect(s.modeRestored)

            #expect(node.vzctl("stop", "101").status == 0)
            s = EnterTests.session(node, ["enter", "101"], [])
            #expect(s.screen.contains("rc=31"), "\(s.screen.debugDescription)")
            #expect(s.modeRestored)
        }
    }
}
