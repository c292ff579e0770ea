/** Pages in [address + start, address + end) whose frame has KPF_KSM, read a pread per page. */
export function mergedByHand(address: number, start: number, end: number): number;
/** The same count from one pread of pagemap and one of kpageflags over the frames' whole span. */
export function mergedBySpanRead(address: number, start: number, end: number): { merged: number; span: number };
