/*
 * `vzctl console CTID`: the monitor owns the VPS's console pty (master)
 * and relays it to one attached admin at a time through a unix socket in
 * vzctl's state directory (root-only, 0700), besides the capped log.
 *
 *   vzctl console ──connect──▶ CTID.console (listening, 0600)
 *        admin keys ─────────▶ write to the master ──▶ VPS's /dev/console
 *        stdout ◀──────────── console output (also appended to the log)
 *
 * A second attach replaces the first (the old connection is closed), as a
 * serial console server would. Output the admin cannot take at once is
 * dropped for them, never for the log, so a stalled terminal cannot stall
 * the VPS's console. Only root may attach: the directory and socket modes,
 * and the peer's uid checked on accept.
 */
#define _GNU_SOURCE
#include "console.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int console_listen(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(a.sun_path))
        return -1;
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    unlink(path); /* a previous monitor's, gone with its VPS */
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
    umask(old);
    if (r != 0 || listen(fd, 2) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void console_accept(int listener, int *client)
{
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0)
        return;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
        close(c);
        return;
    }
    if (*client >= 0)
        close(*client);
    *client = c;
}

void console_to_client(int *client, const char *buf, size_t n)
{
    if (*client < 0)
        return;
    ssize_t w = send(*client, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
        close(*client);
        *client = -1;
    }
}

void console_from_client(int *client, int master)
{
    char buf[4096];
    ssize_t n = recv(*client, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close(*client);
        *client = -1;
        return;
    }
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(master, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* full (the master is non-blocking) or gone: keystrokes are lost, as on a line */
        off += w;
    }
}
