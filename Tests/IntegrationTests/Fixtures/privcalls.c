/* Test helper, run inside a VPS as its root (through dropcaps): system
 * calls that would reach the host kernel's global state. Each must fail
 * with EPERM (or, for reboot commands a PID namespace does not know,
 * EINVAL). ENOSYS is accepted for facilities a kernel is built without
 * (this machine kind has no module loading, kexec or iopl); that the VPS
 * could not use them anyway is the capability test's part (SYS_MODULE,
 * SYS_RAWIO and SYS_BOOT's reach are checked there). Prints one line per call; exits 0 only if every call failed
 * that way. Raw syscalls: no argument is ever valid enough to do harm
 * should a check be missing (NULL images, a bad fd, a no-op reboot cmd). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/reboot.h>

static int bad = 0;

static void expect(const char *name, long r, int ok1, int ok2)
{
    int e = errno;
    int fine = r < 0 && (e == ok1 || e == ok2);
    printf("%s: %s\n", name, r < 0 ? strerror(e) : "succeeded");
    if (!fine)
        bad = 1;
}

int main(void)
{
    errno = 0;
    expect("init_module", syscall(SYS_init_module, NULL, 0, ""), EPERM, ENOSYS);
    expect("finit_module", syscall(SYS_finit_module, -1, "", 0), EPERM, ENOSYS);
    expect("delete_module", syscall(SYS_delete_module, "vzt_no_such_module", 0), EPERM, ENOSYS);
    expect("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM, ENOSYS);
    /* CAD_OFF is harmless anywhere, and a PID namespace refuses every
     * command but restart/halt/power-off: the host's reboot switch is out
     * of reach even with CAP_SYS_BOOT. */
    expect("reboot(CAD_OFF)", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL),
           EINVAL, EPERM);
    expect("reboot(KEXEC)", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL),
           EINVAL, EPERM);
    expect("swapon", syscall(SYS_swapon, "/dev/null", 0), EPERM, EPERM);
    expect("iopl", syscall(SYS_iopl, 3), EPERM, ENOSYS);
    expect("acct", syscall(SYS_acct, NULL), EPERM, EPERM);
    return bad;
}
