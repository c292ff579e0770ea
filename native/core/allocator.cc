#include "core/allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "core/heap_marks.h"
#include "core/page_range.h"
#include "core/range_map.h"

namespace ksm {

// One arena holds slots of one size class: 1, 2, 4, ... kMaxSlotPages pages.
struct Arena {
  uint8_t* base = nullptr;
  size_t slot_bytes = 0;
  int size_class = 0;
  uint32_t slot_count = 0;
  uint32_t next_unused = 0;          // slots from here on were never handed out: still zero
  std::vector<uint32_t> clean_slots; // given back with MADV_DONTNEED: not resident
  std::vector<uint32_t> kept_slots;  // given back resident: reused first
  // Per slot, how many bytes from its start may be non-zero: what its users wrote, zeroed only
  // when a new user needs it (0 for clean and never used slots). Freeing then costs no
  // memset, and a user who overwrites the whole block anyway (a copy) pays for no zeroing.
  std::vector<uint32_t> dirty_bytes;
  // Per slot while a user holds it: the length asked for (0 when free), and the epoch it was
  // taken in (the placement policy's evidence).
  std::vector<uint32_t> lengths;
  std::vector<uint32_t> epochs;
  uint32_t live = 0;
  // For TrimIdleAllocator: the fewest kept slots since its last call (those at the front of
  // kept_slots stayed unused all that time), and whether a slot was taken since.
  size_t kept_low = 0;
  bool taken_since_trim = false;
};

namespace {

// Each arena is one mapping of this many bytes (address space only until pages are touched).
constexpr size_t kArenaBytes = 64 * 1024 * 1024;

// What the allocator records of each mapping it owns.
struct Mapping {
  Arena* arena;    // nullptr: a block's own mapping
  uint32_t epoch;  // a block's own: the epoch it was made in
};

struct State {
  std::mutex mutex;
  std::vector<Arena*> classes[kSizeClasses];  // the arenas of each size class
  RangeMap<Mapping> mappings;  // every mapping the allocator owns
  RangeMap<bool> unmarked;    // parts of live blocks their user unmarked
  size_t kept_bytes = 0;      // in kept slots, all classes
  size_t slot_bytes = 0;      // in live slots, all classes
  size_t peak_slot_bytes = 0;  // their most since the last trim
  size_t own_blocks = 0;      // blocks with a mapping of their own
  size_t own_bytes = 0;
  ClassTotals totals[kBlockClasses];  // live blocks by class
  uint32_t epoch = 0;
  uint32_t sample_calls = 0;
};

// Never destroyed: V8 may free a block on another thread while the process exits.
State& state() {
  static State* const instance = new State;
  return *instance;
}

uintptr_t Address(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

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
  // Heap marks recorded for memory that was here before belong to someone long gone.
  ForgetHeapMarks(Address(memory), Address(memory) + bytes);
  *data = static_cast<uint8_t*>(memory);
  return {0, nullptr};
}

uint32_t Pop(std::vector<uint32_t>* slots) {
  const uint32_t slot = slots->back();
  slots->pop_back();
  return slot;
}

size_t PagesOf(size_t length) { return (length + PageSize() - 1) / PageSize(); }

void AddTotals(int block_class, size_t length) {
  ClassTotals& totals = state().totals[block_class];
  totals.blocks++;
  totals.bytes += length;
  totals.pages += PagesOf(length);
}

void SubtractTotals(int block_class, size_t length) {
  ClassTotals& totals = state().totals[block_class];
  totals.blocks--;
  totals.bytes -= length;
  totals.pages -= PagesOf(length);
}

Block SlotBlock(Arena* arena, uint32_t slot, size_t length) {
  State& s = state();
  arena->live++;
  arena->taken_since_trim = true;
  arena->lengths[slot] = static_cast<uint32_t>(length);
  arena->epochs[slot] = s.epoch;
  AddTotals(arena->size_class, length);
  s.slot_bytes += arena->slot_bytes;
  s.peak_slot_bytes = std::max(s.peak_slot_bytes, s.slot_bytes);
  return {arena->base + size_t{slot} * arena->slot_bytes, arena->slot_bytes, arena};
}

uint32_t SlotOf(const Arena* arena, const uint8_t* data) {
  return static_cast<uint32_t>(static_cast<size_t>(data - arena->base) / arena->slot_bytes);
}

// Takes a slot of the class: a kept (resident) one from any arena first, so churn reuses
// pages already faulted in. Called with the mutex held.
bool TakeSlot(std::vector<Arena*>& arenas, size_t length, Block* block) {
  for (Arena* arena : arenas) {
    if (arena->kept_slots.empty()) continue;
    state().kept_bytes -= arena->slot_bytes;
    *block = SlotBlock(arena, Pop(&arena->kept_slots), length);
    arena->kept_low = std::min(arena->kept_low, arena->kept_slots.size());
    return true;
  }
  for (Arena* arena : arenas) {
    if (!arena->clean_slots.empty()) {
      *block = SlotBlock(arena, Pop(&arena->clean_slots), length);
      return true;
    }
    if (arena->next_unused < arena->slot_count) {
      *block = SlotBlock(arena, arena->next_unused++, length);
      return true;
    }
  }
  return false;
}

// Unmaps an arena with no live slot. Called with the mutex held: once out of the lists, no
// other thread can take a slot from it.
void Unmap(Arena* arena) {
  State& s = state();
  std::vector<Arena*>& arenas = s.classes[arena->size_class];
  arenas.erase(std::find(arenas.begin(), arenas.end(), arena));
  s.mappings.Erase(Address(arena->base), Address(arena->base) + kArenaBytes);
  s.kept_bytes -= arena->kept_slots.size() * arena->slot_bytes;
  munmap(arena->base, kArenaBytes);
  delete arena;
}

// An arena's last slot came back. One empty arena per class is kept mapped, its kept slots
// with it, so a loop that frees and allocates does not map, mark and fault a new one each
// time; any other is unmapped. Called with the mutex held.
void OnEmptied(Arena* arena) {
  for (const Arena* other : state().classes[arena->size_class]) {
    if (other != arena && other->live == 0) {
      Unmap(arena);
      return;
    }
  }
}

// MADV_DONTNEED on the `count` oldest kept slots, adjacent ones in one call; they become clean.
// (Room for them in clean_slots was reserved with the arena.)
void DropOldestKept(Arena* arena, size_t count) {
  std::vector<uint32_t>& kept = arena->kept_slots;
  const auto oldest = kept.begin() + static_cast<std::ptrdiff_t>(count);
  std::sort(kept.begin(), oldest);
  for (size_t i = 0; i < count;) {
    size_t j = i + 1;
    while (j < count && kept[j] == kept[j - 1] + 1) j++;
    madvise(arena->base + size_t{kept[i]} * arena->slot_bytes, (j - i) * arena->slot_bytes, MADV_DONTNEED);
    i = j;
  }
  for (auto it = kept.begin(); it != oldest; ++it) arena->dirty_bytes[*it] = 0;
  state().kept_bytes -= count * arena->slot_bytes;
  arena->clean_slots.insert(arena->clean_slots.end(), kept.begin(), oldest);
  kept.erase(kept.begin(), oldest);
}

// The bytes of a slot taken for `length` bytes that must be zeroed before its user sees it:
// everywhere a view can reach (or, unzeroed, past `length` only), and on to the end of the last
// page, so that equal copies keep equal pages. Dirty bytes further on stay, unseen, until a
// later user needs them. Called with the mutex held; the memset runs after, outside it.
struct ZeroRange {
  size_t from = 0;
  size_t to = 0;
};

ZeroRange TakeDirtyBytes(const Block& block, size_t length, bool zeroed) {
  Arena* arena = block.arena;
  uint32_t& dirty = arena->dirty_bytes[SlotOf(arena, block.data)];
  const size_t page_size = PageSize();
  const size_t page_end = (length + page_size - 1) / page_size * page_size;
  ZeroRange range;
  range.to = std::min<size_t>(dirty, page_end);
  range.from = zeroed ? 0 : std::min(length, range.to);
  // FreeBlock adds the user's length to what stays dirty: the bytes past the last page.
  if (dirty <= page_end) dirty = 0;
  return range;
}

}  // namespace

AllocationError AllocateBlock(size_t length, bool zeroed, Block* block) {
  State& s = state();
  const size_t page_size = PageSize();
  const size_t pages = (length + page_size - 1) / page_size;
  if (pages > kMaxSlotPages) {
    uint8_t* data = nullptr;
    const AllocationError error = MapMergeable(pages * page_size, &data);
    if (error.err != 0) return error;
    *block = {data, pages * page_size, nullptr};
    std::lock_guard<std::mutex> lock(s.mutex);
    // Unrecorded, marks on it would count as heap marks, and its sample epoch would be lost.
    if (!s.mappings.Assign(Address(data), Address(data) + block->bytes, {nullptr, s.epoch})) {
      munmap(data, block->bytes);
      return {ENOMEM, "mmap"};
    }
    s.own_blocks++;
    s.own_bytes += block->bytes;
    AddTotals(kSizeClasses, length);
    return error;
  }
  const int size_class = SizeClassOf(pages);
  bool taken;
  ZeroRange zero;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    taken = TakeSlot(s.classes[size_class], length, block);
    if (taken) zero = TakeDirtyBytes(*block, length, zeroed);
  }
  if (taken) {
    // The slot is the caller's alone now: no lock needed.
    if (zero.to > zero.from) std::memset(block->data + zero.from, 0, zero.to - zero.from);
    return {0, nullptr};
  }
  // Every arena of the class is full: map a new one outside the lock, then take its first slot.
  // Its slot lists get all the room they can need now, so that freeing (in a V8 deleter, which
  // must not throw) never allocates.
  Arena* arena = new (std::nothrow) Arena;
  if (arena == nullptr) return {ENOMEM, "mmap"};
  arena->slot_bytes = (size_t{1} << size_class) * page_size;
  arena->size_class = size_class;
  arena->slot_count = static_cast<uint32_t>(kArenaBytes / arena->slot_bytes);
  arena->next_unused = 1;
  try {
    arena->clean_slots.reserve(arena->slot_count);
    arena->kept_slots.reserve(arena->slot_count);
    arena->dirty_bytes.assign(arena->slot_count, 0);
    arena->lengths.assign(arena->slot_count, 0);
    arena->epochs.assign(arena->slot_count, 0);
  } catch (const std::bad_alloc&) {
    delete arena;
    return {ENOMEM, "mmap"};
  }
  const AllocationError error = MapMergeable(kArenaBytes, &arena->base);
  if (error.err != 0) {
    delete arena;
    return error;
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  try {
    s.classes[size_class].push_back(arena);
  } catch (const std::bad_alloc&) {
    munmap(arena->base, kArenaBytes);
    delete arena;
    return {ENOMEM, "mmap"};
  }
  if (!s.mappings.Assign(Address(arena->base), Address(arena->base) + kArenaBytes, {arena, 0})) {
    s.classes[size_class].pop_back();
    munmap(arena->base, kArenaBytes);
    delete arena;
    return {ENOMEM, "mmap"};
  }
  *block = SlotBlock(arena, 0, length);
  return {0, nullptr};
}

void FreeBlock(uint8_t* data, size_t length, Arena* arena) {
  State& s = state();
  const uintptr_t begin = Address(data);
  std::unique_lock<std::mutex> lock(s.mutex);
  if (arena == nullptr) {
    // Its own mapping: whole pages from its length, as AllocateBlock mapped it. No lookup that
    // could throw: this runs in V8's deleter.
    const uintptr_t end = begin + PagesOf(length) * PageSize();
    s.mappings.Erase(begin, end);
    s.unmarked.Erase(begin, end);
    s.own_blocks--;
    s.own_bytes -= end - begin;
    SubtractTotals(kSizeClasses, length);
    lock.unlock();
    munmap(data, end - begin);
    return;
  }
  const uintptr_t end = begin + arena->slot_bytes;
  if (s.unmarked.Overlaps(begin, end)) {
    // Its user unmarked some of it: the next owner gets it marked, like every other slot.
    s.unmarked.Erase(begin, end);
    madvise(data, arena->slot_bytes, MADV_MERGEABLE);
  }
  s.slot_bytes -= arena->slot_bytes;
  const uint32_t slot = SlotOf(arena, data);
  arena->lengths[slot] = 0;
  SubtractTotals(arena->size_class, length);
  uint32_t& dirty = arena->dirty_bytes[slot];
  const bool keep = s.kept_bytes + arena->slot_bytes <= std::max(kMinKeptBytes, s.peak_slot_bytes);
  if (keep) {
    // Kept as it is: whoever takes it next zeroes what they need (TakeDirtyBytes).
    s.kept_bytes += arena->slot_bytes;
    dirty = std::max<uint32_t>(dirty, static_cast<uint32_t>(length));
    arena->kept_slots.push_back(slot);
  } else {
    // Its pages dropped outside the lock: the slot still counts as live, so the arena stays
    // mapped meanwhile.
    lock.unlock();
    madvise(data, arena->slot_bytes, MADV_DONTNEED);
    lock.lock();
    dirty = 0;
    arena->clean_slots.push_back(slot);
  }
  if (--arena->live == 0) OnEmptied(arena);
}

bool NoteAdvised(uintptr_t begin, uintptr_t end, bool mergeable) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const auto& mappings = s.mappings.ranges();
  auto it = mappings.upper_bound(begin);
  if (it == mappings.begin() || std::prev(it)->second.end <= begin) return false;
  end = std::min(end, std::prev(it)->second.end);
  if (mergeable) {
    s.unmarked.Erase(begin, end);
  } else {
    s.unmarked.Assign(begin, end, true);
  }
  return true;
}

void RemarkAllocator() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const auto& unmarked = s.unmarked.ranges();
  for (const auto& [begin, mapping] : s.mappings.ranges()) {
    // The gaps between the ranges the user unmarked.
    uintptr_t from = begin;
    for (auto it = unmarked.lower_bound(begin); it != unmarked.end() && it->first < mapping.end; ++it) {
      if (it->first > from) madvise(reinterpret_cast<void*>(from), it->first - from, MADV_MERGEABLE);
      from = it->second.end;
    }
    if (from < mapping.end) madvise(reinterpret_cast<void*>(from), mapping.end - from, MADV_MERGEABLE);
  }
}

bool TrimIdleAllocator() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.peak_slot_bytes = s.slot_bytes;
  for (std::vector<Arena*>& arenas : s.classes) {
    for (size_t i = arenas.size(); i-- > 0;) {
      Arena* arena = arenas[i];
      if (arena->live == 0 && !arena->taken_since_trim) {
        Unmap(arena);
        continue;
      }
      if (arena->kept_low > 0) DropOldestKept(arena, arena->kept_low);
      arena->kept_low = arena->kept_slots.size();
      arena->taken_since_trim = false;
    }
  }
  for (const std::vector<Arena*>& arenas : s.classes) {
    if (!arenas.empty()) return true;
  }
  return false;
}

AllocatorStats GetAllocatorStats() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  AllocatorStats stats{0, s.own_blocks, s.own_bytes, s.kept_bytes, s.unmarked.size()};
  for (const std::vector<Arena*>& arenas : s.classes) {
    for (const Arena* arena : arenas) {
      stats.arenas++;
      stats.live_blocks += arena->live;
      stats.live_bytes += size_t{arena->live} * arena->slot_bytes;
    }
  }
  return stats;
}

uint32_t AdvanceEpoch() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return ++s.epoch;
}

namespace {

// Slots looked at per class and call, whatever they hold: bounds the time the lock is held.
constexpr uint32_t kMaxSlotsVisited = 16384;

// A different starting point on each call, so that samples move over the whole class.
uint32_t Scatter(uint32_t value) {
  value ^= value >> 16;
  value *= 0x7feb352dU;
  value ^= value >> 15;
  value *= 0x846ca68bU;
  return value ^ (value >> 16);
}

// Adds the data pages of [begin, begin + length) to the sample, within the class's budget.
void AddPiece(uintptr_t begin, size_t length, int block_class, size_t max_pages, size_t* taken,
              std::vector<SamplePiece>* pieces) {
  const size_t pages = std::min(PagesOf(length), max_pages - *taken);
  pieces->push_back({begin, static_cast<uint32_t>(pages), static_cast<uint8_t>(block_class)});
  *taken += pages;
}

// Mature live slots of one size class, in slot order from a scattered start (adjacent slots
// make adjacent pieces, read together). Called with the mutex held.
void SampleSlots(const std::vector<Arena*>& arenas, uint32_t mature_epoch, size_t max_pages, uint32_t seed,
                 std::vector<SamplePiece>* pieces) {
  size_t taken = 0;
  uint32_t visited = 0;
  const size_t first = seed % arenas.size();
  for (size_t k = 0; k < arenas.size() && taken < max_pages && visited < kMaxSlotsVisited; k++) {
    const Arena* arena = arenas[(first + k) % arenas.size()];
    const uint32_t used = arena->next_unused;  // slots past it were never handed out
    if (used == 0) continue;
    const uint32_t start = Scatter(seed + static_cast<uint32_t>(k)) % used;
    for (uint32_t j = 0; j < used && taken < max_pages && visited < kMaxSlotsVisited; j++, visited++) {
      const uint32_t slot = (start + j) % used;
      if (arena->lengths[slot] == 0 || arena->epochs[slot] > mature_epoch) continue;
      AddPiece(Address(arena->base) + size_t{slot} * arena->slot_bytes, arena->lengths[slot], arena->size_class,
               max_pages, &taken, pieces);
    }
  }
}

}  // namespace

void SampleLiveBlocks(uint32_t mature_epoch, size_t max_pages, std::vector<SamplePiece>* pieces,
                      ClassTotals totals[kBlockClasses]) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::copy(s.totals, s.totals + kBlockClasses, totals);
  if (max_pages == 0) return;
  const uint32_t seed = Scatter(++s.sample_calls);
  for (int size_class = 0; size_class < kSizeClasses; size_class++) {
    if (!s.classes[size_class].empty()) SampleSlots(s.classes[size_class], mature_epoch, max_pages, seed, pieces);
  }
  // Blocks with mappings of their own: their first pages, from a scattered one on.
  if (s.own_blocks == 0) return;
  size_t taken = 0;
  size_t skip = seed % s.own_blocks;
  for (const auto& [begin, mapping] : s.mappings.ranges()) {
    if (mapping.value.arena != nullptr || mapping.value.epoch > mature_epoch) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    AddPiece(begin, mapping.end - begin, kSizeClasses, max_pages, &taken, pieces);
    if (taken >= max_pages) break;
  }
}

}  // namespace ksm
