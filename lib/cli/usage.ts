// Bad command lines: a message, the usage line, and exit code 2.

export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = {
  main: 'ksm <status|watch|estimate|ksmd|run> [options]   (ksm <command> --help for more)',
  status: 'ksm status [--json] [--pid PID]...',
  watch: 'ksm watch [--interval SECONDS] [--count N] [--json]',
  estimate: 'ksm estimate [--pid PID]... [--self] [--node] [--json]',
  ksmd: 'ksm ksmd <start|stop|unmerge|set KEY=VALUE...>',
  run: 'ksm run [--buffers] [--] COMMAND [ARGS...]',
};

export const HELP = {
  main: `Usage: ${USAGE.main}

Kernel Samepage Merging for Node.js: see what KSM saves and control it.

Commands:
  status   system-wide KSM figures and every process with merged pages
  watch    the same, live, with the saved memory over time
  estimate how much KSM would save in running processes, before turning it on
  ksmd     start, stop, unmerge or tune ksmd (root)
  run      run a command with process-wide merge, or transparent mode, turned on

Options:
  -h, --help      this help
  -V, --version   node-ksm's version`,
  status: `Usage: ${USAGE.status}

System-wide KSM figures (pages shared and sharing, memory saved, sharing ratio, full scans,
ksmd state and settings) and a table of every process with merged pages, largest first, with
its RSS and PSS (from /proc/PID/smaps_rollup; merged pages count in every sharer's RSS, but are
divided among the sharers in PSS, where the saving shows).

Command lines are any user's text: control characters and bidi overrides in them are printed
escaped (\\x1b, \\u202e). On a terminal, lines are cut to its width; piped, they stay whole.
Without root, other users' processes cannot be read: a note says how many were left out.

Options:
  --json            { system, processes, unreadable } with the field names of node-ksm's API;
                    processes[] carry rssBytes and pssBytes (absent where unreadable), and
                    unreadable lists the processes left out as [{ pid, code }] (code: EACCES,
                    not yours), by pid. Kernel threads, which cannot merge, and processes that
                    exit while being read are in neither.
  -p, --pid PID     only this process, shown even with no merged pages; repeat for more. A PID
                    that does not exist or cannot be read is an error (exit 1).`,
  watch: `Usage: ${USAGE.watch}

The KSM figures refreshed in place, fitted to the terminal's width, with the saved memory as a
sparkline. When the output is not a terminal, one line a refresh for logs: an ISO time, then
saved= (human-readable), pages_sharing= (its change), pages_shared=, full_scans=, run=; for
programs, use --json. Ctrl-C ends it.

Options:
  -i, --interval SECONDS   time between refreshes (default 2)
  --count N                end after N refreshes
  --json                   one JSON object a line, terminal or not: { time (ISO 8601),
                           system (as ksm status --json), delta (the counters' change since
                           the last refresh) }`,
  estimate: `Usage: ${USAGE.estimate}

Reads the resident private anonymous pages of the chosen processes (never stopping or changing
them; only a digest of each page is kept) and predicts what ksmd would save, as pages_sharing
would show it (max_page_sharing and use_zero_pages as set now), three ways: with the mappings
marked mergeable now, with process-wide merge in every process (ksm run, enableProcessMerge),
and with only what the apps marked themselves (node-ksm's allocator, markMergeable). Per
process: pages read, pages with an identical twin in the set (DUPLICATES), pages merged now
(root only), whether process-wide merge is on (WIDE), and the kinds of mapping holding the
duplicates: mergeable (marked now), [heap] (small allocations), anon (large allocations, V8's
heap), stack, file-copied (written pages of private file mappings). Duplicates outside
mergeable mappings are what process-wide merge, or moving the data into mergeableFrom /
readFileMergeable, would add. Other users' processes need root; a process that exits during the
scan is reported and the others are still counted. On a terminal, progress shows on stderr;
Ctrl-C stops the scan (exit 130).

Options:
  -p, --pid PID   this process; repeat for more (one that does not exist: exit 1)
  --self          ksm's own process too
  --node          every Node.js process (command node or nodejs): the default when neither
                  --pid nor --self is given
  --json          the result of node-ksm's estimate() as JSON`,
  ksmd: `Usage: ${USAGE.ksmd}

  start              run = 1: merge
  stop               run = 0: stop, merged pages stay merged
  unmerge            run = 2: stop and unmerge every page
  set KEY=VALUE...   tune: pages_to_scan, sleep_millisecs, max_page_sharing, merge_across_nodes,
                     use_zero_pages, smart_scan, advisor_mode, advisor_max_cpu,
                     advisor_target_scan_time, advisor_min_pages_to_scan, advisor_max_pages_to_scan
                     (or their camelCase names); prints the values before and after.
Writing /sys/kernel/mm/ksm needs root.`,
  run: `Usage: ${USAGE.run}

Runs COMMAND with process-wide merge (PR_SET_MEMORY_MERGE) turned on. On Linux 6.7+ the setting
passes through exec to any command; before that, node commands get it through
-r node-ksm/register, and other commands cannot.

Exits with the command's exit code, 128 + N if signal N ended it, 126 if it cannot be executed,
127 if it is not found. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to ksm are
passed on to COMMAND (its process, not its children), once each; ksm waits for it to end. When
none of stdin, stdout, stderr is a terminal (systemd, docker without -t, CI), COMMAND runs in a
process group of its own, so a signal sent to ksm's group reaches it once, through ksm. When
one is, COMMAND stays in the terminal's foreground group to read it: Ctrl-C (SIGINT) and
Ctrl-\\ (SIGQUIT) reach it from the terminal, so ksm does not pass those two on (there, send
them to COMMAND or to the group, not to ksm alone). Without a terminal, a SIGKILL to ksm's group
does not reach COMMAND: stop ksm with a signal it can pass on.

Options:
  --buffers   transparent mode instead: in every node process COMMAND starts (directly, or
              through a shell or npm), Buffers of at least NODE_KSM_BUFFER_THRESHOLD bytes
              (default 4096) come from page-aligned mergeable memory, so identical copies
              merge whole. Needs KSM, not process-wide merge: any kernel with CONFIG_KSM.`,
};
