// The floor for markMergeable's cost: madvise(MADV_MERGEABLE) on one page in a bare C loop.
// Usage: madvise-loop ITERATIONS -> prints nanoseconds per call.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000;
  long page = sysconf(_SC_PAGESIZE);
  char* memory = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return 1;
  memory[0] = 1;
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < iterations; i++) {
    if (madvise(memory, page, MADV_MERGEABLE) != 0) return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
  printf("%.1f\n", ns / iterations);
  return 0;
}
