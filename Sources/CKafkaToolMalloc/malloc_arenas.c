// Command-line tools only (never the SDK's libraries): caps glibc's malloc arenas before any thread starts.
//
// glibc gives threads that allocate at the same time arenas of their own (up to 8 per core), and each keeps what is
// freed into it. A producer's batches and requests are allocated on one thread and freed on another; with an arena
// per thread, the peak resident memory of kafka-producer-perf-test varied from 40 to 134 MiB between identical runs
// (buffer.memory 32 MiB), and stays within 37-48 MiB with two arenas (one arena: the same memory, but the threads
// contend for its lock, ~15 % slower). `mallopt` from Swift's `main` comes too late: the runtime's threads already
// have their arenas then, hence a constructor.
#include "CKafkaToolMalloc.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static int arena_limit = 0;

__attribute__((constructor)) static void kafka_tool_limit_malloc_arenas(void) {
#if defined(__GLIBC__)
    if (getenv("MALLOC_ARENA_MAX") != NULL || getenv("GLIBC_TUNABLES") != NULL) {
        return;
    }
    if (mallopt(M_ARENA_MAX, 2) == 1) {
        arena_limit = 2;
    }
#endif
}

int kafka_tool_malloc_arena_limit(void) { return arena_limit; }
