#ifndef C_KAFKA_TOOL_MALLOC_H
#define C_KAFKA_TOOL_MALLOC_H

/// The number of malloc arenas this process was limited to before `main` (0: not limited: not glibc, or
/// `MALLOC_ARENA_MAX` / `GLIBC_TUNABLES` was set by the user). Linked into the command-line tools only.
int kafka_tool_malloc_arena_limit(void);

#endif
