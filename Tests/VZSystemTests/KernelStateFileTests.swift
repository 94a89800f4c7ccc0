import Glibc
import Testing
import VZSystem

/// Files the host must not read on a VPS's behalf (GuestFiles, BootWait).
@Suite struct KernelStateFileTests {
    @Test func procAndSysAreKernelStateTmpIsNot() throws {
        for path in ["/proc/self/status", "/proc/vmallocinfo", "/sys/kernel/uevent_seqnum"] {
            let fd = try FileDescriptor.open(path, O_RDONLY)
            #expect(fd.isKernelStateFile, "\(path)")
        }
        let fd = try FileDescriptor.open("/etc/hostname", O_RDONLY)
        #expect(!fd.isKernelStateFile)
    }
}
