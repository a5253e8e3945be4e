/*
 * The physical limit: what the kernel itself costs, with no runtime in the way.
 *
 *   limits pair    <mechanism> <pairs> <rounds>   median ns per acquire+release pair
 *   limits handoff <mechanism> <count>            one line of hand-off latencies (ns)
 *
 * mechanism: flock | ofd (F_OFD_SETLKW) | posix (F_SETLKW) | semop (SEM_UNDO)
 * Lock files live in the directory given by $LIMITS_DIR; the semaphore set is private
 * and removed at exit.
 *
 * Hand-off (method of reference/native.md §6.2): the parent holds the lock; a child
 * announces itself and blocks; once /proc/<child>/stat shows it sleeping the parent
 * waits 200 µs more, stamps t0 and unlocks; the child stamps t1 as soon as its blocking
 * call returns. Latency = t1 - t0 (CLOCK_MONOTONIC in both processes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- mechanisms: a lock is an fd (file locks) or the private semaphore set ---- */

static int semid = -1;

static void remove_semaphore(void) {
  if (semid >= 0) semctl(semid, 0, IPC_RMID);
}

static int fcntl_lock(int fd, int cmd, short type) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  return fcntl(fd, cmd, &fl);
}

static void lock_flock(int fd) { if (flock(fd, LOCK_EX) != 0) die("flock"); }
static void unlock_flock(int fd) { if (flock(fd, LOCK_UN) != 0) die("flock"); }
static void lock_ofd(int fd) { if (fcntl_lock(fd, F_OFD_SETLKW, F_WRLCK) != 0) die("F_OFD_SETLKW"); }
static void unlock_ofd(int fd) { if (fcntl_lock(fd, F_OFD_SETLK, F_UNLCK) != 0) die("F_OFD_SETLK"); }
static void lock_posix(int fd) { if (fcntl_lock(fd, F_SETLKW, F_WRLCK) != 0) die("F_SETLKW"); }
static void unlock_posix(int fd) { if (fcntl_lock(fd, F_SETLK, F_UNLCK) != 0) die("F_SETLK"); }

static void semaphore_op(short delta) {
  struct sembuf op = {.sem_num = 0, .sem_op = delta, .sem_flg = SEM_UNDO};
  while (semop(semid, &op, 1) != 0) {
    if (errno != EINTR) die("semop");
  }
}
static void lock_semop(int fd) { (void)fd; semaphore_op(-1); }
static void unlock_semop(int fd) { (void)fd; semaphore_op(1); }

struct mechanism {
  const char *name;
  void (*lock)(int fd);
  void (*unlock)(int fd);
};

static const struct mechanism mechanisms[] = {
    {"flock", lock_flock, unlock_flock},
    {"ofd", lock_ofd, unlock_ofd},
    {"posix", lock_posix, unlock_posix},
    {"semop", lock_semop, unlock_semop},
};

static const struct mechanism *find_mechanism(const char *name) {
  for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; i++) {
    if (strcmp(mechanisms[i].name, name) == 0) return &mechanisms[i];
  }
  fprintf(stderr, "unknown mechanism %s\n", name);
  exit(2);
}

/* A fresh open file description of the lock file (-1 for the semaphore). */
static int open_lock(const struct mechanism *m) {
  if (strcmp(m->name, "semop") == 0) return -1;
  const char *dir = getenv("LIMITS_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/limits-%s.lock", dir ? dir : ".", m->name);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) die("open");
  return fd;
}

static void create_semaphore(void) {
  semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (semid < 0) die("semget");
  atexit(remove_semaphore);
  if (semctl(semid, 0, SETVAL, 1) != 0) die("semctl SETVAL");
}

/* ---- uncontended pair ---- */

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void pair(const struct mechanism *m, long pairs, int rounds) {
  int fd = open_lock(m);
  uint64_t per_pair[rounds];
  for (long i = 0; i < pairs / 10; i++) { m->lock(fd); m->unlock(fd); } /* warm-up */
  for (int r = 0; r < rounds; r++) {
    uint64_t start = now_ns();
    for (long i = 0; i < pairs; i++) {
      m->lock(fd);
      m->unlock(fd);
    }
    per_pair[r] = (now_ns() - start) / (uint64_t)pairs;
  }
  qsort(per_pair, rounds, sizeof per_pair[0], compare_u64);
  printf("%llu\n", (unsigned long long)per_pair[rounds / 2]);
}

/* ---- cross-process hand-off ---- */

static char process_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) die("fopen /proc/<pid>/stat");
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *close_paren = strrchr(buf, ')'); /* the command name may contain spaces */
  return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

static void read_exact(int fd, void *buf, size_t size) {
  char *p = buf;
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("read");
    p += n;
    size -= (size_t)n;
  }
}

static void write_exact(int fd, const void *buf, size_t size) {
  if (write(fd, buf, size) != (ssize_t)size) die("write");
}

static void sleep_ns(long ns) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};
  nanosleep(&ts, NULL);
}

static void handoff(const struct mechanism *m, int count) {
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    int fd = open_lock(m); /* its own open file description */
    char go;
    for (;;) {
      read_exact(to_child[0], &go, 1);
      if (go == 'q') _exit(0);
      write_exact(to_parent[1], "b", 1); /* about to block */
      m->lock(fd);
      uint64_t t1 = now_ns();
      m->unlock(fd);
      write_exact(to_parent[1], &t1, sizeof t1);
    }
  }
  int fd = open_lock(m);
  uint64_t *latencies = malloc(sizeof(uint64_t) * (size_t)count);
  for (int i = 0; i < count; i++) {
    m->lock(fd);
    write_exact(to_child[1], "g", 1);
    char blocking;
    read_exact(to_parent[0], &blocking, 1);
    while (process_state(child) != 'S') sleep_ns(20000);
    sleep_ns(200000);
    uint64_t t0 = now_ns();
    m->unlock(fd);
    uint64_t t1;
    read_exact(to_parent[0], &t1, sizeof t1);
    latencies[i] = t1 - t0;
  }
  write_exact(to_child[1], "q", 1);
  waitpid(child, NULL, 0);
  for (int i = 0; i < count; i++) printf(i ? " %llu" : "%llu", (unsigned long long)latencies[i]);
  printf("\n");
  free(latencies);
}

/* ---- contention: the bench's fairness loop without a runtime ----
 * `processes` processes loop lock, read the counter file, write it plus one, unlock for
 * `ms` milliseconds, with the same syscalls as the Node hammer's readFileSync and
 * writeFileSync (open, read, close; open with O_CREAT|O_TRUNC, write, close). A counter still at
 * the value this process wrote last is a re-take. Prints: acquisitions re-takes min max. */
static long read_counter(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open counter");
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) die("read counter");
  buf[n] = 0;
  close(fd);
  return atol(buf);
}

static void write_counter(const char *path, long value) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("open counter");
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld", value);
  if (write(fd, buf, (size_t)n) != n) die("write counter");
  close(fd);
}

static void contend(const struct mechanism *m, int processes, long ms) {
  const char *dir = getenv("LIMITS_DIR");
  char counter[4096];
  snprintf(counter, sizeof counter, "%s/limits-counter-%s", dir ? dir : ".", m->name);
  write_counter(counter, 0);
  int results[2], start[2];
  if (pipe(results) != 0 || pipe(start) != 0) die("pipe");
  for (int i = 0; i < processes; i++) {
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      int fd = open_lock(m);
      char go;
      read_exact(start[0], &go, 1);
      const uint64_t until = now_ns() + (uint64_t)ms * 1000000u;
      long counts[2] = {0, 0}; /* acquisitions, re-takes */
      long written = -1;
      while (now_ns() < until) {
        m->lock(fd);
        long value = read_counter(counter);
        if (value == written) counts[1]++;
        written = value + 1;
        write_counter(counter, written);
        counts[0]++;
        m->unlock(fd);
      }
      write_exact(results[1], counts, sizeof counts);
      _exit(0);
    }
  }
  /* Everyone starts at once, after all are forked and have opened their lock. */
  for (int i = 0; i < processes; i++) write_exact(start[1], "g", 1);
  long total = 0, retakes = 0, min = -1, max = 0;
  for (int i = 0; i < processes; i++) {
    long counts[2];
    read_exact(results[0], counts, sizeof counts);
    total += counts[0];
    retakes += counts[1];
    if (min < 0 || counts[0] < min) min = counts[0];
    if (counts[0] > max) max = counts[0];
  }
  while (wait(NULL) > 0) {
  }
  if (read_counter(counter) != total) {
    fprintf(stderr, "counter %ld != %ld acquisitions: the lock let two in\n", read_counter(counter), total);
    exit(1);
  }
  printf("%ld %ld %ld %ld\n", total, retakes, min, max);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr,
            "usage: limits pair <mechanism> <pairs> <rounds> | handoff <mechanism> <count> |"
            " contend <mechanism> <processes> <ms>\n");
    return 2;
  }
  const struct mechanism *m = find_mechanism(argv[2]);
  if (strcmp(m->name, "semop") == 0) create_semaphore();
  if (strcmp(argv[1], "pair") == 0 && argc >= 5) pair(m, atol(argv[3]), atoi(argv[4]));
  else if (strcmp(argv[1], "handoff") == 0) handoff(m, atoi(argv[3]));
  else if (strcmp(argv[1], "contend") == 0 && argc >= 5) contend(m, atoi(argv[3]), atol(argv[4]));
  else return 2;
  return 0;
}
