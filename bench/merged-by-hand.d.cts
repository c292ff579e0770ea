/** Pages in [address + start, address + end) whose frame has KPF_KSM, read a pread per page. */
export function mergedByHand(address: number, start: number, end: number): number;
