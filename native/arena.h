#pragma once
#include <cstddef>
#include <cstdint>

namespace ksm {

// Page-aligned, private anonymous, mergeable memory for the whole process (every thread).
// Small blocks are slots in shared arenas, so the number of mappings stays bounded however
// many blocks live; large blocks are mappings of their own. Holds no JS state.

struct Arena;

struct Block {
  uint8_t* data;   // page-aligned
  size_t bytes;    // whole pages reserved for it (>= the length asked for)
  Arena* arena;    // the arena it is a slot of, or nullptr for a mapping of its own
  bool dirty;      // a reused slot still holding old bytes: the caller zeroes what it needs
};

struct AllocationError {
  int err;              // errno, 0 on success
  const char* syscall;  // "mmap" or "madvise"
};

// Allocates a block of at least `length` bytes (length > 0).
AllocationError AllocateBlock(size_t length, Block* block);

// Gives a block back. A slot is kept as it is for quick reuse while the process holds less
// than kDirtyBudgetBytes of such slots (as malloc keeps freed memory), else its pages go back
// (MADV_DONTNEED); an emptied arena is unmapped, kept slots and all. A mapping of its own is
// unmapped.
void FreeBlock(const Block& block);

// Marks every arena and large block mergeable again: PR_SET_MEMORY_MERGE 0 clears the mark on
// every mapping of the process, ours included.
void RemarkAllocator();

// After MADV_UNMERGEABLE on [begin, end): slots of arenas it touched are marked again when
// handed out next, so a buffer unmarked by its user does not leave unmergeable memory behind.
void NoteUnmarked(uintptr_t begin, uintptr_t end);

// What the allocator holds now, for tests and diagnostics.
struct AllocatorStats {
  size_t arenas;         // arena mappings
  size_t live_blocks;    // blocks handed out and not yet freed (slots and own mappings)
  size_t live_bytes;     // their reserved bytes
  size_t dirty_bytes;    // freed slots kept resident for reuse
};
AllocatorStats GetAllocatorStats();

// Blocks larger than this get a mapping of their own.
constexpr size_t kMaxSlotPages = 256;
// Freed slots kept resident, process-wide, so churn does not fault pages in again.
constexpr size_t kDirtyBudgetBytes = 32 * 1024 * 1024;

}  // namespace ksm
