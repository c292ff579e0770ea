#pragma once
#include <cstdint>
#include <functional>

namespace ksm {

// Marks the user put on memory the allocator does not own (a Buffer.alloc's heap pages),
// recorded so they do not outlive it: malloc hands freed memory to the next allocation,
// which would otherwise sit in mergeable pages though nobody chose to expose it to KSM.
// An owner stands for one ArrayBuffer's memory: its environment's id in the high 32 bits,
// a number the JS layer gives each ArrayBuffer in the low 32.

void RecordHeapMark(uintptr_t begin, uintptr_t end, uint64_t owner);

// The range is no longer the user's mark: unmarked by the user, or mapped anew.
void ForgetHeapMarks(uintptr_t begin, uintptr_t end);

// Unmarks (MADV_UNMERGEABLE) and forgets every recorded mark whose owner matches, unless
// process-wide merge is on, where everything is meant to be mergeable.
void ReleaseHeapMarks(const std::function<bool(uint64_t owner)>& matches);

// Marks every recorded range mergeable again, after PR_SET_MEMORY_MERGE 0 cleared them.
void RemarkHeapMarks();

size_t HeapMarkCount();

}  // namespace ksm
