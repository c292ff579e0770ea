#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace ksm {

// Marks the user put on memory the allocator does not own (a Buffer.alloc's heap pages). A mark
// must end when its memory is freed, or malloc hands the memory, still marked, to the next
// allocation, which would sit in mergeable pages though nobody chose to expose it to KSM. No
// hook runs when V8 frees such memory, and the memory can move to another ArrayBuffer
// (transfer, structuredClone, postMessage), so each mark holds its memory (`memory`, from
// HoldMemoryOf) until SweepHeapMarks finds that nothing else does: it unmarks, then lets go,
// and only then can the memory be freed.
// An owner is the environment (main thread, worker) that marked: its id in the high 32 bits.

void RecordHeapMark(uintptr_t begin, uintptr_t end, uint64_t owner, std::shared_ptr<void> memory);

// The range is no longer the user's mark: unmarked by the user, or mapped anew.
void ForgetHeapMarks(uintptr_t begin, uintptr_t end);

// Unmarks (MADV_UNMERGEABLE, unless process-wide merge is on, where everything is meant to be
// mergeable) and lets go of every mark whose memory nothing but the marks holds. Returns the
// marks left.
size_t SweepHeapMarks();

// The same for every mark whose owner matches, held elsewhere or not (an environment's teardown).
void ReleaseHeapMarks(const std::function<bool(uint64_t owner)>& matches);

// Marks every recorded range mergeable again, after PR_SET_MEMORY_MERGE 0 cleared them.
void RemarkHeapMarks();

size_t HeapMarkCount();

}  // namespace ksm
