// LD_PRELOAD'ed by scripts/test-kernels.sh: makes the running kernel look, to this process and
// its children, like the older kernel named by KSM_TEST_KERNEL ("6.1"): uname() reports that
// release; prctl(PR_SET/GET_MEMORY_MERGE) fails with EINVAL before 6.4, as an unknown option
// does; /proc/<pid>/ksm_stat shows only the lines that kernel had, or is absent before 6.1, and
// /proc/<pid>/ksm_merging_pages is absent before 5.19; ioctl(PAGEMAP_SCAN) on pagemap fails with
// ENOTTY before 6.7, as an unknown ioctl does, so estimate() reads pagemap page by page. (The
// script's mount namespace does the same for /sys/kernel/mm/ksm.) Test infrastructure only:
// never part of the package.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

static int major_version = 0, minor_version = 0;
static char release[65];

__attribute__((constructor)) static void init(void) {
  const char* wanted = getenv("KSM_TEST_KERNEL");
  if (wanted == NULL || sscanf(wanted, "%d.%d", &major_version, &minor_version) != 2) return;
  snprintf(release, sizeof release, "%d.%d.0-presented", major_version, minor_version);
}

static int active(void) { return major_version != 0; }
static int at_least(int major, int minor) {
  return major_version > major || (major_version == major && minor_version >= minor);
}

int uname(struct utsname* name) {
  static int (*real)(struct utsname*);
  if (!real) real = (int (*)(struct utsname*))dlsym(RTLD_NEXT, "uname");
  int result = real(name);
  if (result == 0 && active()) snprintf(name->release, sizeof name->release, "%s", release);
  return result;
}

// 67 and 68: PR_SET_MEMORY_MERGE and PR_GET_MEMORY_MERGE, as native/core/linux_abi.h has them.
int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
  static int (*real)(int, unsigned long, unsigned long, unsigned long, unsigned long);
  if (!real) real = (int (*)(int, unsigned long, unsigned long, unsigned long, unsigned long))dlsym(RTLD_NEXT, "prctl");
  if (active() && (option == 67 || option == 68) && !at_least(6, 4)) {
    errno = EINVAL;
    return -1;
  }
  return real(option, a2, a3, a4, a5);
}

// PAGEMAP_SCAN: _IOWR('f', 16, struct pm_scan_arg), whose 12 u64 fields make 96 bytes (PmScanArg
// and kPagemapScan in native/core/linux_abi.h).
#define PAGEMAP_SCAN_REQUEST _IOWR('f', 16, char[96])

int ioctl(int fd, unsigned long request, ...) {
  static int (*real)(int, unsigned long, ...);
  if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
  va_list args;
  va_start(args, request);
  void* arg = va_arg(args, void*);
  va_end(args);
  if (active() && request == PAGEMAP_SCAN_REQUEST && !at_least(6, 7)) {
    errno = ENOTTY;
    return -1;
  }
  return real(fd, request, arg);
}

// "/proc/<pid or self>/<name>" -> name, else NULL.
static const char* proc_file(const char* path) {
  if (path == NULL || strncmp(path, "/proc/", 6) != 0) return NULL;
  const char* slash = strchr(path + 6, '/');
  return slash && strchr(slash + 1, '/') == NULL ? slash + 1 : NULL;
}

// Which ksm_stat lines this kernel had.
static int line_present(const char* line) {
  if (strncmp(line, "ksm_rmap_items ", 15) == 0) return at_least(6, 1);
  if (strncmp(line, "ksm_merging_pages ", 18) == 0) return at_least(6, 4);
  if (strncmp(line, "ksm_process_profit ", 19) == 0) return at_least(6, 4);
  if (strncmp(line, "ksm_zero_pages ", 15) == 0) return at_least(6, 6);
  return at_least(6, 14);  // ksm_merge_any:, ksm_mergeable:
}

// The real ksm_stat, filtered, in a memfd; -1 with errno set where the file must not exist.
static int filtered_ksm_stat(int (*real_open)(const char*, int, ...), const char* path) {
  if (!at_least(6, 1)) {
    errno = ENOENT;
    return -1;
  }
  int fd = real_open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[4096];
  ssize_t length = read(fd, text, sizeof text - 1);
  close(fd);
  if (length < 0) return -1;
  text[length] = '\0';
  int out = memfd_create("ksm_stat", MFD_CLOEXEC);
  for (char* line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line_present(line) && (write(out, line, strlen(line)) < 0 || write(out, "\n", 1) < 0)) break;
  }
  lseek(out, 0, SEEK_SET);
  return out;
}

static int presented(int (*real_open)(const char*, int, ...), const char* path, int* fd) {
  const char* name = active() ? proc_file(path) : NULL;
  if (name == NULL) return 0;
  if (strcmp(name, "ksm_stat") == 0) {
    *fd = filtered_ksm_stat(real_open, path);
    return 1;
  }
  if (strcmp(name, "ksm_merging_pages") == 0 && !at_least(5, 19)) {
    errno = ENOENT;
    *fd = -1;
    return 1;
  }
  return 0;
}

#define OPEN_LIKE(fn)                                                             \
  int fn(const char* path, int flags, ...) {                                      \
    static int (*real)(const char*, int, ...);                                    \
    if (!real) real = (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, #fn);      \
    va_list args;                                                                 \
    va_start(args, flags);                                                        \
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(args, mode_t) : 0;    \
    va_end(args);                                                                 \
    int fd;                                                                       \
    if (presented(real, path, &fd)) return fd;                                    \
    return real(path, flags, mode);                                               \
  }
OPEN_LIKE(open)
OPEN_LIKE(open64)

#define OPENAT_LIKE(fn)                                                                \
  int fn(int dir, const char* path, int flags, ...) {                                  \
    static int (*real)(int, const char*, int, ...);                                    \
    static int (*real_open)(const char*, int, ...);                                    \
    if (!real) real = (int (*)(int, const char*, int, ...))dlsym(RTLD_NEXT, #fn);      \
    if (!real_open) real_open = (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, "open"); \
    va_list args;                                                                      \
    va_start(args, flags);                                                             \
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(args, mode_t) : 0;         \
    va_end(args);                                                                      \
    int fd;                                                                            \
    if (path[0] == '/' && presented(real_open, path, &fd)) return fd;                  \
    return real(dir, path, flags, mode);                                               \
  }
OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)
