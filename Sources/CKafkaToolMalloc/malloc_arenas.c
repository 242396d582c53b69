// Command-line tools only (never the SDK's libraries): caps glibc's malloc arenas before any thread starts.
//
// glibc gives threads that allocate at the same time arenas of their own (up to 8 per core), and each keeps what is
// freed into it. A producer's memory is allocated on one thread and freed on another; with an arena per thread, the
// peak resident memory of kafka-producer-perf-test varied from 40 to 134 MiB between identical runs (buffer.memory
// 32 MiB). Two arenas kept it within 37-48 MiB while the buffer had room, but with the buffer full each arena still
// held up to a buffer's worth (66-76 MiB). Since the producer reuses its batch memory (its pool's free list), little
// is allocated per batch and one arena costs no measurable speed: 60-64 MiB with the buffer full. `mallopt` from
// Swift's `main` comes too late: the runtime's threads already have their arenas then, hence a constructor.
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
    if (mallopt(M_ARENA_MAX, 1) == 1) {
        arena_limit = 1;
    }
#endif
}

int kafka_tool_malloc_arena_limit(void) { return arena_limit; }
