import CVZShim
import Glibc
import VZConfig
import VZSystem

/// The cgroup v2 device controller: v2 has no `devices.allow`; the kernel
/// instead runs a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
/// cgroup on every open/mknod of a device node, and denies unless every
/// program on the path from the root returns 1 (runc and crun generate the
/// same kind of program from their rule lists).
///
/// The program is an allowlist: one block per rule that jumps to the next
/// block on any mismatch and returns 1 when everything matched; the end
/// returns 0. Assembling is pure (and `evaluate` runs the result the way
/// the kernel would), so tests check the filter without a kernel.
public struct DeviceProgram: Sendable, Equatable {
    /// `struct bpf_insn` as little-endian 64-bit words.
    public let instructions: [UInt64]

    // Opcodes (linux/bpf_common.h, linux/bpf.h) of the few instructions used.
    static let ldxw: UInt8 = 0x61  // BPF_LDX | BPF_MEM | BPF_W
    static let and32: UInt8 = 0x54  // BPF_ALU | BPF_AND | BPF_K
    static let rsh32: UInt8 = 0x74  // BPF_ALU | BPF_RSH | BPF_K
    static let mov32x: UInt8 = 0xbc  // BPF_ALU | BPF_MOV | BPF_X
    static let mov64k: UInt8 = 0xb7  // BPF_ALU64 | BPF_MOV | BPF_K
    static let jneK: UInt8 = 0x55  // BPF_JMP | BPF_JNE | BPF_K
    static let jneX: UInt8 = 0x5d  // BPF_JMP | BPF_JNE | BPF_X
    static let exit: UInt8 = 0x95  // BPF_JMP | BPF_EXIT

    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; },
    // access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*.
    static let devBlock: Int32 = 1, devChar: Int32 = 2
    static let accMknod: Int32 = 1, accRead: Int32 = 2, accWrite: Int32 = 4

    static func insn(_ code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) -> UInt64 {
        UInt64(code) | UInt64(dst & 0xf) << 8 | UInt64(src & 0xf) << 12
            | UInt64(UInt16(bitPattern: off)) << 16 | UInt64(UInt32(bitPattern: imm)) << 32
    }

    public init(allowing rules: [DeviceAccessRule]) {
        // r2 = device type, r3 = requested access, r4 = major, r5 = minor.
        var p: [UInt64] = [
            Self.insn(Self.ldxw, dst: 2, src: 1, off: 0),
            Self.insn(Self.and32, dst: 2, imm: 0xFFFF),
            Self.insn(Self.ldxw, dst: 3, src: 1, off: 0),
            Self.insn(Self.rsh32, dst: 3, imm: 16),
            Self.insn(Self.ldxw, dst: 4, src: 1, off: 4),
            Self.insn(Self.ldxw, dst: 5, src: 1, off: 8),
        ]
        for rule in rules where !rule.access.isEmpty {
            // (instruction, is a "jump to the next block if mismatch"): the
            // jump offsets are filled in once the block's length is known.
            var block: [(UInt64, Bool)] = []
            switch rule.kind {
            case .block: block.append((Self.insn(Self.jneK, dst: 2, imm: Self.devBlock), true))
            case .char: block.append((Self.insn(Self.jneK, dst: 2, imm: Self.devChar), true))
            case .all: break
            }
            if rule.access != .rwm {
                // The request (one bit in practice) must be a subset of the rule's.
                var acc: Int32 = 0
                if rule.access.contains(.mknod) { acc |= Self.accMknod }
                if rule.access.contains(.read) { acc |= Self.accRead }
                if rule.access.contains(.write) { acc |= Self.accWrite }
                block.append((Self.insn(Self.mov32x, dst: 1, src: 3), false))
                block.append((Self.insn(Self.and32, dst: 1, imm: acc), false))
                block.append((Self.insn(Self.jneX, dst: 1, src: 3), true))
            }
            if let m = rule.major { block.append((Self.insn(Self.jneK, dst: 4, imm: Int32(bitPattern: m)), true)) }
            if let m = rule.minor { block.append((Self.insn(Self.jneK, dst: 5, imm: Int32(bitPattern: m)), true)) }
            block.append((Self.insn(Self.mov64k, dst: 0, imm: 1), false))
            block.append((Self.insn(Self.exit), false))
            for (i, (ins, isJump)) in block.enumerated() {
                // Jump offsets count from the next instruction: past the rest of the block.
                let off = UInt64(UInt16(bitPattern: Int16(block.count - i - 1)))
                p.append(isJump ? (ins & ~(0xFFFF << 16)) | off << 16 : ins)
            }
        }
        p.append(Self.insn(Self.mov64k, dst: 0, imm: 0))
        p.append(Self.insn(Self.exit))
        instructions = p
    }

    /// Runs the program on one access the way the kernel would, for the
    /// opcodes `init` emits (any other opcode denies). True = allowed.
    public func evaluate(_ kind: DeviceAccessRule.Kind, major: UInt32, minor: UInt32, access: DeviceAccessRule.Access) -> Bool {
        var acc: UInt64 = 0
        if access.contains(.mknod) { acc |= UInt64(Self.accMknod) }
        if access.contains(.read) { acc |= UInt64(Self.accRead) }
        if access.contains(.write) { acc |= UInt64(Self.accWrite) }
        let type: UInt64 = kind == .block ? UInt64(Self.devBlock) : UInt64(Self.devChar)
        let ctx: [UInt64] = [acc << 16 | type, UInt64(major), UInt64(minor)]
        var r = [UInt64](repeating: 0, count: 11)
        var pc = 0
        while pc < instructions.count {
            let i = instructions[pc]
            let code = UInt8(i & 0xff), dst = Int((i >> 8) & 0xf), src = Int((i >> 12) & 0xf)
            let off = Int(Int16(bitPattern: UInt16((i >> 16) & 0xffff)))
            let imm = Int32(bitPattern: UInt32(i >> 32))
            let immU = UInt64(bitPattern: Int64(imm))  // sign-extended, as the kernel does
            pc += 1
            switch code {
            case Self.ldxw: r[dst] = ctx[off / 4] & 0xffff_ffff
            case Self.and32: r[dst] = (r[dst] & UInt64(UInt32(bitPattern: imm)))
            case Self.rsh32: r[dst] = (r[dst] & 0xffff_ffff) >> UInt64(imm)
            case Self.mov32x: r[dst] = r[src] & 0xffff_ffff
            case Self.mov64k: r[dst] = immU
            case Self.jneK: if r[dst] != immU { pc += off }
            case Self.jneX: if r[dst] != r[src] { pc += off }
            case Self.exit: return r[0] == 1
            default: return false
            }
        }
        return false
    }

    /// Loads the program and makes it the one device program of the cgroup
    /// `directory`: the new one is attached first (BPF_F_ALLOW_MULTI, so a
    /// systemd inside a delegated subtree may add its own, which can only
    /// narrow access), then the ones attached before are detached. In
    /// between both run and access is the intersection, never wider.
    public func install(on directory: FileDescriptor, path: String) throws(VZError) {
        var log = [CChar](repeating: 0, count: 16_384)
        let prog = instructions.withUnsafeBufferPointer { buf in
            log.withUnsafeMutableBufferPointer {
                vz_bpf_load_device_prog(buf.baseAddress, UInt32(buf.count), $0.baseAddress, UInt32($0.count))
            }
        }
        guard prog >= 0 else {
            let e = errno
            let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw VZError(.setDevices, "cannot load the cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE)"
                + (text.isEmpty ? "" : "; verifier: " + text), errno: e, path: path)
        }
        let progFD = FileDescriptor(owning: prog)
        let old = Self.attachedPrograms(directory)
        _ = try sys("cannot attach the device program to the cgroup", path: path, code: .setDevices) {
            vz_bpf_attach_device_prog(directory.raw, progFD.raw, VZ_BPF_F_ALLOW_MULTI)
        }
        for id in old {
            let fd = vz_bpf_prog_fd_by_id(id)
            guard fd >= 0 else { continue }  // detached meanwhile
            let f = FileDescriptor(owning: fd)
            switch sysResult({ vz_bpf_detach_device_prog(directory.raw, f.raw) }) {
            case .success, .failure(Errno(ENOENT)): break
            case .failure(let e): throw e.error(.setDevices, "cannot detach the previous device program", path: path)
            }
        }
    }

    /// IDs of the device programs attached to this cgroup itself.
    public static func attachedPrograms(_ directory: FileDescriptor) -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        let r = ids.withUnsafeMutableBufferPointer { vz_bpf_query_device_progs(directory.raw, $0.baseAddress, &count) }
        return r == 0 ? Array(ids.prefix(Int(count))) : []
    }
}
