#ifndef TALLY_CHIREDIS_SHIM_H
#define TALLY_CHIREDIS_SHIM_H

/* pkg-config puts hiredis' own folder on the include path (Debian: /usr/include/hiredis, Homebrew: …/include/hiredis). */
#include <hiredis.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>

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

/// Marks a descriptor close-on-exec (hiredis 0.14 opens its sockets without `SOCK_CLOEXEC`).
static inline void tally_set_close_on_exec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/// Adds `amount` to `*value` atomically (relaxed order: a counter that orders nothing else) and returns the old value.
static inline long tally_atomic_fetch_add_relaxed(long *value, long amount) {
    return __atomic_fetch_add(value, amount, __ATOMIC_RELAXED);
}

/// Reads `*value` atomically (relaxed order).
static inline long tally_atomic_load_relaxed(const long *value) {
    return __atomic_load_n(value, __ATOMIC_RELAXED);
}

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/// A new epoll instance (close-on-exec), or -1.
static inline int tally_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// Watches `fd` in `epoll` for data arriving (edge-triggered: one event each time more bytes come, so a watched
/// socket costs nothing between calls). Returns 0, or -1 with errno.
static inline int tally_epoll_watch_readable(int epoll, int fd) {
    struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data = { .fd = fd } };
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0) return 0;
    if (errno != EEXIST) return -1;
    return epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event);
}

/// A non-blocking eventfd watched by `epoll` (level-triggered), to wake a thread in `epoll_wait`; -1 with errno.
static inline int tally_epoll_add_wake_descriptor(int epoll) {
    int descriptor = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (descriptor < 0) return -1;
    struct epoll_event event = { .events = EPOLLIN, .data = { .fd = descriptor } };
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) != 0) {
        int saved = errno;
        close(descriptor);
        errno = saved;
        return -1;
    }
    return descriptor;
}

/// Wakes the thread waiting on the eventfd's epoll set.
static inline void tally_wake(int descriptor) {
    uint64_t one = 1;
    ssize_t ignored = write(descriptor, &one, sizeof one);
    (void)ignored;
}

/// Takes the eventfd's pending wake-ups.
static inline void tally_take_wakes(int descriptor) {
    uint64_t count;
    ssize_t ignored = read(descriptor, &count, sizeof count);
    (void)ignored;
}

/// Waits up to `timeout_ms` (-1: no limit) for armed descriptors and writes up to `capacity` (at most 64) of them to
/// `fds`. Returns how many, 0 on timeout or interruption, -1 with errno on error.
static inline int tally_epoll_wait_readable(int epoll, int *fds, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int ready = epoll_wait(epoll, events, capacity, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -1;
    for (int index = 0; index < ready; index++) fds[index] = events[index].data.fd;
    return ready;
}

/// One send(2) that never blocks and never raises SIGPIPE. Returns the bytes sent (0 when the socket's buffer is
/// full), or -1 with errno.
static inline long tally_send_nonblocking(int fd, const void *bytes, unsigned long count) {
    long sent = send(fd, bytes, count, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return sent;
}

/// One recv(2) that never blocks. Returns the bytes read, 0 when the peer closed, -2 when nothing is there yet, or
/// -1 with errno.
static inline long tally_receive_nonblocking(int fd, void *bytes, unsigned long capacity) {
    long received = recv(fd, bytes, capacity, MSG_DONTWAIT);
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -2;
    return received;
}
#endif

#endif
