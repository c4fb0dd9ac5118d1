#ifndef TALLY_CHIREDIS_SHIM_H
#define TALLY_CHIREDIS_SHIM_H

/* pkg-config puts hiredis' own folder on the include path (Debian: /usr/include/hiredis, Homebrew: …/include/hiredis). */
#include <hiredis.h>
#include <errno.h>
#include <poll.h>

/// The context's error text. Swift sees `errstr` as a 128-element tuple; this hands it over as a C string.
static inline const char *tally_redis_context_errstr(const redisContext *context) {
    return context->errstr;
}

/// The reader's error text (see `tally_redis_context_errstr`).
static inline const char *tally_redis_reader_errstr(const redisReader *reader) {
    return reader->errstr;
}

/// `errno` of the calling thread, read right after a failing hiredis call.
static inline int tally_errno(void) {
    return errno;
}

/// Whether an idle connection's socket has something to read right now (data, or the peer's close).
/// An idle connection owes no replies, so readable means the server closed it or sent garbage:
/// either way the connection must not be reused. Returns 1 readable, 0 quiet, -1 on poll error.
static inline int tally_socket_readable_now(int fd) {
    struct pollfd descriptor = { .fd = fd, .events = POLLIN, .revents = 0 };
    int ready = poll(&descriptor, 1, 0);
    if (ready < 0) return -1;
    if (ready == 0) return 0;
    return (descriptor.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) ? 1 : 0;
}

/// Adds `amount` to `*value` atomically (relaxed order: a counter that orders nothing else) and returns the old value.
static inline long tally_atomic_fetch_add_relaxed(long *value, long amount) {
    return __atomic_fetch_add(value, amount, __ATOMIC_RELAXED);
}

/// Reads `*value` atomically (relaxed order).
static inline long tally_atomic_load_relaxed(const long *value) {
    return __atomic_load_n(value, __ATOMIC_RELAXED);
}

#endif
