// Bad command lines: a message, the usage line, and exit code 2.

export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = {
  main: 'ksm <status|watch|ksmd|run> [options]   (ksm <command> --help for more)',
  status: 'ksm status [--json]',
  watch: 'ksm watch [--interval SECONDS]',
  ksmd: 'ksm ksmd <start|stop|unmerge|set KEY=VALUE...>',
  run: 'ksm run [--buffers] [--] COMMAND [ARGS...]',
};

export const HELP = {
  main: `Usage: ${USAGE.main}

Kernel Samepage Merging for Node.js: see what KSM saves and control it.

Commands:
  status   system-wide KSM figures and every process with merged pages
  watch    the same, live, with the saved memory over time
  ksmd     start, stop, unmerge or tune ksmd (root)
  run      run a command with process-wide merge, or transparent mode, turned on`,
  status: `Usage: ${USAGE.status}

System-wide KSM figures (pages shared and sharing, memory saved, sharing ratio, full scans,
ksmd state and settings) and a table of every process with merged pages, largest first.

Options:
  --json   { system, processes } with the field names of node-ksm's API`,
  watch: `Usage: ${USAGE.watch}

The KSM figures refreshed in place, with the saved memory as a sparkline. Plain lines when the
output is not a terminal. Ctrl-C ends it.

Options:
  --interval SECONDS   time between refreshes (default 2)`,
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
-r node-ksm/register, and other commands cannot. Exits with the command's exit code.

Options:
  --buffers   transparent mode instead: in every node process COMMAND starts (directly, or
              through a shell or npm), Buffers of at least NODE_KSM_BUFFER_THRESHOLD bytes
              (default 4096) come from page-aligned mergeable memory, so identical copies
              merge whole. Needs KSM, not process-wide merge: any kernel with CONFIG_KSM.`,
};
