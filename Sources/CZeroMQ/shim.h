#ifndef SWITCHYARD_CZEROMQ_SHIM_H
#define SWITCHYARD_CZEROMQ_SHIM_H
#include <zmq.h>

#if defined(__linux__)
#include <sys/eventfd.h>
#include <unistd.h>
#include <errno.h>
#include <sys/prctl.h>

#include <sys/syscall.h>
/* The numbers are the same on every Linux architecture (both calls came after the unification). */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/// A copy, in this process, of descriptor `fd` of process `pid` (pidfd_open + pidfd_getfd, Linux
/// 5.6+; needs ptrace access to `pid`: same user and, under Yama, an ancestor). -1 with errno set
/// when the kernel lacks the calls or refuses. The copy is close-on-exec.
static inline int switchyard_fd_of_process(int pid, int fd) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return -1;
    int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    int saved = errno;
    close(pidfd);
    errno = saved;
    return copy;
}

/// Names the calling thread (Linux keeps 15 bytes); shows in `top -H` and debuggers.
static inline void switchyard_set_thread_name(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

/// A non-blocking, close-on-exec eventfd used to wake a thread blocked in zmq_poll.
static inline int switchyard_eventfd_open(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/// Adds one to the eventfd counter; makes the fd readable. Returns 0 or -1 (errno set).
static inline int switchyard_eventfd_signal(int fd) {
    eventfd_t one = 1;
    for (;;) {
        ssize_t n = write(fd, &one, sizeof one);
        if (n == (ssize_t)sizeof one) return 0;
        if (n < 0 && errno == EINTR) continue;
        /* EAGAIN: counter saturated, the fd is readable already. */
        if (n < 0 && errno == EAGAIN) return 0;
        return -1;
    }
}

/// Resets the eventfd counter to zero. Returns 0 (also when it was zero already) or -1.
static inline int switchyard_eventfd_drain(int fd) {
    eventfd_t value = 0;
    for (;;) {
        ssize_t n = read(fd, &value, sizeof value);
        if (n == (ssize_t)sizeof value) return 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        return -1;
    }
}
#endif

#include <stdint.h>

/// Acquire load of a 64-bit counter that another process updates (shared-memory lanes).
static inline uint64_t switchyard_load_acquire_u64(const void *address) {
    return __atomic_load_n((const uint64_t *)address, __ATOMIC_ACQUIRE);
}

/// Release store of a 64-bit counter that another process reads (shared-memory lanes).
static inline void switchyard_store_release_u64(void *address, uint64_t value) {
    __atomic_store_n((uint64_t *)address, value, __ATOMIC_RELEASE);
}

#endif
