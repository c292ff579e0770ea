// `ksm ksmd`: start, stop, unmerge or tune ksmd, through the API's ksmd object.
import { ksmd, settingFromText, type KsmdSettings } from '../ksmd.js';
import { helpText, UsageError, type Command } from './command.js';

const usage = 'ksm ksmd <start|stop|unmerge|set KEY=VALUE...>';

/** `ksm ksmd start|stop|unmerge|set KEY=VALUE...`: returns what to print. */
function ksmdAction(args: string[]): string {
  const [action, ...rest] = args;
  const noArguments = () => {
    if (rest.length) throw new UsageError(`"ksmd ${action}" takes no arguments`, usage);
  };
  switch (action) {
    case 'start':
      noArguments();
      ksmd.start();
      return 'ksmd started (run = 1)';
    case 'stop':
      noArguments();
      ksmd.stop();
      return 'ksmd stopped (run = 0); merged pages stay merged';
    case 'unmerge':
      noArguments();
      ksmd.unmergeAll();
      return 'ksmd stopped and every page unmerged (run = 2)';
    case 'set': {
      if (rest.length === 0) throw new UsageError('"ksmd set" needs KEY=VALUE pairs', usage);
      // fromEntries makes every name an own property, __proto__ included, so configure() sees it.
      const changes: Record<string, unknown> = Object.fromEntries(rest.map((pair) => {
        const match = /^([\w-]+)=(.+)$/.exec(pair);
        if (!match) throw new UsageError(`"${pair}" is not KEY=VALUE`, usage);
        return settingFromText(match[1], match[2]);
      }));
      const previous = ksmd.configure(changes as Partial<KsmdSettings>);
      return Object.entries(previous).map(([key, before]) => `${key}: ${before} -> ${String(changes[key])}`).join('\n');
    }
    default:
      throw new UsageError(action ? `unknown ksmd action "${action}"` : 'ksmd needs an action', usage);
  }
}

export const ksmdCommand: Command = {
  name: 'ksmd',
  summary: 'start, stop, unmerge or tune ksmd (root)',
  usage,
  help: `  start              run = 1: merge
  stop               run = 0: stop, merged pages stay merged
  unmerge            run = 2: stop and unmerge every page
  set KEY=VALUE...   tune: pages_to_scan, sleep_millisecs, max_page_sharing, merge_across_nodes,
                     use_zero_pages, smart_scan, advisor_mode, advisor_max_cpu,
                     advisor_target_scan_time, advisor_min_pages_to_scan, advisor_max_pages_to_scan
                     (or their camelCase names); prints the values before and after.
Writing /sys/kernel/mm/ksm needs root.`,
  run(args, { out }) {
    if (args[0] === '--help' || args[0] === '-h') return out.write(`${helpText(ksmdCommand)}\n`), 0;
    out.write(`${ksmdAction(args)}\n`);
    return 0;
  },
};
