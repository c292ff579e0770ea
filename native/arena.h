#pragma once
#include <cstddef>
#include <cstdint>

namespace ksm {

// Page-aligned, private anonymous, mergeable memory for the whole process (every thread).
// Small blocks are slots in shared arenas, so the number of mappings stays bounded however
// many blocks live; large blocks are mappings of their own. Holds no JS state, and every call
// may come from any thread (V8 frees ArrayBuffer memory on whichever thread drops it last).

struct Arena;

// A block is handed out reading as zero past the length asked for, to the end of its last page
// (so equal copies keep equal pages), and before it too unless the caller will overwrite it:
// fresh pages, pages given back with MADV_DONTNEED, or a kept slot zeroed as far as needed.
struct Block {
  uint8_t* data;   // page-aligned
  size_t bytes;    // whole pages reserved for it (>= the length asked for)
  Arena* arena;    // the arena it is a slot of, or nullptr for a mapping of its own
};

struct AllocationError {
  int err;              // errno, 0 on success
  const char* syscall;  // "mmap" or "madvise"
};

// Allocates a block of at least `length` bytes (length > 0). Unless `zeroed`, its first
// `length` bytes may hold what an earlier user wrote: for callers that overwrite them all, or
// that promise no contents (Buffer.allocUnsafe).
AllocationError AllocateBlock(size_t length, bool zeroed, Block* block);

// Gives a block back, by the data pointer and arena AllocateBlock gave; `length` bytes from its
// start may have been written (nothing past them: the rest was never shown). The caller
// guarantees that nothing can reach the memory any more: see the ownership rule in allocate.cc.
// A slot kept for reuse keeps its bytes (AllocateBlock zeroes what its next user needs): V8
// often frees on a background thread, and a memset there competed with the app for CPU.
void FreeBlock(uint8_t* data, size_t length, Arena* arena);

// Whether [begin, end) lies in the allocator's memory. When it does, records the user's
// advice on it: memory the user unmarked stays unmarked through RemarkAllocator, and a freed
// slot goes out marked again.
bool NoteAdvised(uintptr_t begin, uintptr_t end, bool mergeable);

// Marks the allocator's memory mergeable again, except what its user unmarked:
// PR_SET_MEMORY_MERGE 0 clears the mark on every mapping of the process, ours included.
void RemarkAllocator();

// Returns spare memory to the kernel if nothing was allocated since the previous call: kept
// slots' pages (MADV_DONTNEED) and empty arenas (munmap), and starts a new peak for the budget. Returns whether the allocator still
// holds anything (live blocks or spare memory), i.e. whether calling again may do something.
bool TrimIdleAllocator();

// What the allocator holds now, for tests and diagnostics.
struct AllocatorStats {
  size_t arenas;         // arena mappings, empty ones included
  size_t live_blocks;    // blocks handed out and not yet freed (slots and own mappings)
  size_t live_bytes;     // their reserved bytes
  size_t kept_bytes;     // freed slots kept resident for reuse
  size_t unmarked_ranges;  // ranges of live blocks their user unmarked
};
AllocatorStats GetAllocatorStats();

// Blocks larger than this get a mapping of their own.
constexpr size_t kMaxSlotPages = 256;
// Freed slots are kept resident, process-wide, so churn does not fault pages in again: as much
// as the slots live at the peak since the last trim (V8 frees external memory in batches after
// a GC, so a loop's buffers all come back at once), and at least this much.
constexpr size_t kMinKeptBytes = 64 * 1024 * 1024;

}  // namespace ksm
