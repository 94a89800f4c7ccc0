import Glibc
import Testing
import VZSystem

/// major/minor decoding against devices whose numbers are fixed by the
/// kernel's devices.txt, and the large-number encoding.
@Suite struct DeviceNumberTests {
    @Test func decodesKnownCharacterDevices() throws {
        for (path, major, minor) in [("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/tty", 5, 0)] as [(String, UInt32, UInt32)] {
            var st = stat()
            #expect(stat(path, &st) == 0, "\(path)")
            #expect(DeviceNumber.major(UInt64(st.st_rdev)) == major, "\(path)")
            #expect(DeviceNumber.minor(UInt64(st.st_rdev)) == minor, "\(path)")
        }
    }

    /// glibc's makedev(0x12345, 0x6789a): minor's high bits above the low
    /// byte and major's above 12 bits go to the upper half.
    @Test func decodesLargeNumbers() {
        let major: UInt64 = 0x12345, minor: UInt64 = 0x6789a
        let made = ((major & 0x00000fff) << 8) | ((major & 0xfffff000) << 32) | (minor & 0x000000ff) | ((minor & 0xffffff00) << 12)
        #expect(DeviceNumber.make(0x12345, 0x6789a) == made)
        #expect(DeviceNumber.major(made) == 0x12345)
        #expect(DeviceNumber.minor(made) == 0x6789a)
    }
}
