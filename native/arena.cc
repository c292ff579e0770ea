#include "arena.h"

#include <sys/mman.h>

#include <cerrno>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "page_range.h"

namespace ksm {

// One arena holds slots of one size class: 1, 2, 4, ... kMaxSlotPages pages.
struct Arena {
  uint8_t* base = nullptr;
  size_t slot_bytes = 0;
  int size_class = 0;
  uint32_t slot_count = 0;
  uint32_t next_unused = 0;          // slots from here on were never handed out: still zero
  std::vector<uint32_t> clean_slots; // given back with MADV_DONTNEED: read as zero
  std::vector<uint32_t> dirty_slots; // given back as they were: must be zeroed on reuse
  uint32_t live = 0;
  bool remark_on_reuse = false;      // some of it was unmarked: mark slots again as they go out
};

namespace {

constexpr int kSizeClasses = 9;  // 1 << 8 == kMaxSlotPages
static_assert((size_t{1} << (kSizeClasses - 1)) == kMaxSlotPages, "size classes cover the slot sizes");
// Each arena is one mapping of this many bytes (address space only until pages are touched).
constexpr size_t kArenaBytes = 64 * 1024 * 1024;

std::mutex arenas_mutex;
std::vector<Arena*> classes[kSizeClasses];  // the arenas of each size class
size_t dirty_bytes = 0;                     // in kept (dirty) slots, all classes
std::unordered_map<uint8_t*, size_t> own_mappings;  // blocks with a mapping of their own: bytes
size_t own_mapping_bytes = 0;

int SizeClassOf(size_t pages) {
  int size_class = 0;
  while ((size_t{1} << size_class) < pages) size_class++;
  return size_class;
}

// A private anonymous mapping marked mergeable once, as a whole.
AllocationError MapMergeable(size_t bytes, uint8_t** data) {
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) return {errno, "mmap"};
  if (madvise(memory, bytes, MADV_MERGEABLE) != 0) {
    const int err = errno;
    munmap(memory, bytes);
    return {err, "madvise"};
  }
  *data = static_cast<uint8_t*>(memory);
  return {0, nullptr};
}

uint32_t Pop(std::vector<uint32_t>* slots) {
  const uint32_t slot = slots->back();
  slots->pop_back();
  return slot;
}

// Takes a slot of the class, preferring resident (dirty) ones. Called with the mutex held.
bool TakeSlot(std::vector<Arena*>* arenas, Block* block) {
  for (Arena* arena : *arenas) {
    if (!arena->dirty_slots.empty()) {
      dirty_bytes -= arena->slot_bytes;
      *block = {arena->base + size_t{Pop(&arena->dirty_slots)} * arena->slot_bytes, arena->slot_bytes, arena, true};
    } else if (!arena->clean_slots.empty()) {
      *block = {arena->base + size_t{Pop(&arena->clean_slots)} * arena->slot_bytes, arena->slot_bytes, arena, false};
    } else if (arena->next_unused < arena->slot_count) {
      *block = {arena->base + size_t{arena->next_unused++} * arena->slot_bytes, arena->slot_bytes, arena, false};
    } else {
      continue;
    }
    arena->live++;
    if (arena->remark_on_reuse) madvise(block->data, block->bytes, MADV_MERGEABLE);
    return true;
  }
  return false;
}

// Unmaps an arena whose last live slot is being freed. Called with the mutex held: once out of
// the list, no other thread can take a slot from it.
void Release(Arena* arena) {
  std::vector<Arena*>& arenas = classes[arena->size_class];
  for (size_t i = 0; i < arenas.size(); i++) {
    if (arenas[i] == arena) {
      arenas[i] = arenas.back();
      arenas.pop_back();
      break;
    }
  }
  dirty_bytes -= arena->dirty_slots.size() * arena->slot_bytes;
  munmap(arena->base, kArenaBytes);
  delete arena;
}

}  // namespace

AllocationError AllocateBlock(size_t length, Block* block) {
  const size_t page_size = PageSize();
  const size_t pages = (length + page_size - 1) / page_size;
  if (pages > kMaxSlotPages) {
    uint8_t* data = nullptr;
    const AllocationError error = MapMergeable(pages * page_size, &data);
    if (error.err == 0) {
      *block = {data, pages * page_size, nullptr, false};
      std::lock_guard<std::mutex> lock(arenas_mutex);
      own_mappings[data] = block->bytes;
      own_mapping_bytes += block->bytes;
    }
    return error;
  }
  const int size_class = SizeClassOf(pages);
  {
    std::lock_guard<std::mutex> lock(arenas_mutex);
    if (TakeSlot(&classes[size_class], block)) return {0, nullptr};
  }
  // Every arena of the class is full: map a new one outside the lock, then take its first slot.
  Arena* arena = new Arena;
  const AllocationError error = MapMergeable(kArenaBytes, &arena->base);
  if (error.err != 0) {
    delete arena;
    return error;
  }
  arena->slot_bytes = (size_t{1} << size_class) * page_size;
  arena->size_class = size_class;
  arena->slot_count = static_cast<uint32_t>(kArenaBytes / arena->slot_bytes);
  arena->next_unused = 1;
  arena->live = 1;
  std::lock_guard<std::mutex> lock(arenas_mutex);
  classes[size_class].push_back(arena);
  *block = {arena->base, arena->slot_bytes, arena, false};
  return {0, nullptr};
}

void FreeBlock(const Block& block) {
  if (block.arena == nullptr) {
    {
      std::lock_guard<std::mutex> lock(arenas_mutex);
      own_mappings.erase(block.data);
      own_mapping_bytes -= block.bytes;
    }
    munmap(block.data, block.bytes);
    return;
  }
  Arena* arena = block.arena;
  const uint32_t slot = static_cast<uint32_t>((block.data - arena->base) / arena->slot_bytes);
  {
    std::lock_guard<std::mutex> lock(arenas_mutex);
    if (arena->live == 1) {
      Release(arena);
      return;
    }
    if (dirty_bytes + block.bytes <= kDirtyBudgetBytes) {
      dirty_bytes += block.bytes;
      arena->dirty_slots.push_back(slot);
      arena->live--;
      return;
    }
  }
  // Over budget: drop the pages outside the lock (the slot still counts as live, so the arena
  // stays mapped meanwhile), then hand the slot back.
  madvise(block.data, block.bytes, MADV_DONTNEED);
  std::lock_guard<std::mutex> lock(arenas_mutex);
  arena->clean_slots.push_back(slot);
  if (arena->live == 1) {
    Release(arena);
  } else {
    arena->live--;
  }
}

void RemarkAllocator() {
  std::lock_guard<std::mutex> lock(arenas_mutex);
  for (std::vector<Arena*>& arenas : classes) {
    for (Arena* arena : arenas) madvise(arena->base, kArenaBytes, MADV_MERGEABLE);
  }
  for (const auto& [data, bytes] : own_mappings) madvise(data, bytes, MADV_MERGEABLE);
}

void NoteUnmarked(uintptr_t begin, uintptr_t end) {
  std::lock_guard<std::mutex> lock(arenas_mutex);
  for (std::vector<Arena*>& arenas : classes) {
    for (Arena* arena : arenas) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(arena->base);
      if (begin < base + kArenaBytes && end > base) arena->remark_on_reuse = true;
    }
  }
}

AllocatorStats GetAllocatorStats() {
  std::lock_guard<std::mutex> lock(arenas_mutex);
  AllocatorStats stats{0, own_mappings.size(), own_mapping_bytes, dirty_bytes};
  for (const std::vector<Arena*>& arenas : classes) {
    for (const Arena* arena : arenas) {
      stats.arenas++;
      stats.live_blocks += arena->live;
      stats.live_bytes += size_t{arena->live} * arena->slot_bytes;
    }
  }
  return stats;
}

}  // namespace ksm
