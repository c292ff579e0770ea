#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ksm {

// Page-aligned, private anonymous, mergeable memory for the whole process (every thread).
// Small blocks are slots in shared arenas, so the number of mappings stays bounded however
// many blocks live; large blocks are mappings of their own. Holds no JS state, and every call
// may come from any thread (V8 frees ArrayBuffer memory on whichever thread drops it last).

struct Arena;

struct Block {
  uint8_t* data;   // page-aligned
  size_t bytes;    // whole pages reserved for it (>= the length asked for)
  Arena* arena;    // the arena it is a slot of, or nullptr for a mapping of its own
};

struct AllocationError {
  int err;              // errno, 0 on success
  const char* syscall;  // "mmap" or "madvise"
};

// Allocates a block of at least `length` bytes (length > 0). The block's contents, the
// allocator's one zeroing contract: past `length`, to the end of its last page, it reads as zero
// (so the last pages of equal copies are equal); its first `length` bytes are zero too unless
// `zeroed` is false, when they may hold what an earlier user wrote (for callers that overwrite
// them all, or that promise no contents, as Buffer.allocUnsafe does).
AllocationError AllocateBlock(size_t length, bool zeroed, Block* block);

// Gives a block back, by the data pointer and arena AllocateBlock gave; `length` bytes from its
// start may have been written (nothing past them: the rest was never shown). The caller
// guarantees that nothing can reach the memory any more: see the ownership rule in binding/allocate.cc.
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

// Called on a timer (about once a second). Returns to the kernel what stayed unused since the
// previous call: kept slots that no allocation took in that time (MADV_DONTNEED), and arenas
// that stayed empty (munmap). Starts a new peak for the kept budget. Returns whether the
// allocator still holds anything, i.e. whether calling again may do something.
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
// Block classes: slots of 1, 2, 3-4, ... 129-256 pages (one arena list each), then every
// block with a mapping of its own.
constexpr int kSizeClasses = 9;
constexpr int kBlockClasses = kSizeClasses + 1;
static_assert((size_t{1} << (kSizeClasses - 1)) == kMaxSlotPages, "size classes cover the slot sizes");

// Evidence for transparent mode's placement policy (lib/placement.ts), per block class.
struct ClassTotals {
  size_t blocks = 0;  // live blocks
  size_t bytes = 0;   // the lengths they were asked for
  size_t pages = 0;   // the pages those lengths reach
};
// One live block's pages that hold its data: [begin, begin + pages * page size).
struct SamplePiece {
  uintptr_t begin;
  uint32_t pages;
  uint8_t block_class;
};
// Every allocation records the epoch current when it was made; the caller advances it on its
// timer and remembers what ksmd had done by each, to tell blocks ksmd has had time to see.
uint32_t AdvanceEpoch();
// The live totals of every class, and up to `max_pages` data pages per class of live blocks
// made at or before `mature_epoch`, taken from a different place on each call. `pieces` must
// have room reserved for kBlockClasses * max_pages entries (nothing here allocates).
void SampleLiveBlocks(uint32_t mature_epoch, size_t max_pages, std::vector<SamplePiece>* pieces,
                      ClassTotals totals[kBlockClasses]);
// Freed slots are kept resident, process-wide, so churn does not fault pages in again: as much
// as the slots live at the peak since the last trim (V8 frees external memory in batches after
// a GC, so a loop's buffers all come back at once), and at least this much.
constexpr size_t kMinKeptBytes = 64 * 1024 * 1024;

}  // namespace ksm
