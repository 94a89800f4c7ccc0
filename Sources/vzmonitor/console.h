/* The console relay of the monitor (console.c). */
#ifndef VZMONITOR_CONSOLE_H
#define VZMONITOR_CONSOLE_H
#include <stddef.h>

/* A listening socket at `path` (mode 0600), or -1 (then only the log). */
int console_listen(const char *path);
/* Takes a waiting connection from root; it replaces *client. */
void console_accept(int listener, int *client);
/* Console output to the attached admin, if any (dropped when they lag). */
void console_to_client(int *client, const char *buf, size_t n);
/* The admin's keys to the console; closes *client at its end. */
void console_from_client(int *client, int master);
#endif
