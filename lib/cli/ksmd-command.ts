import { ksmd, settingFromText, type KsmdSettings } from '../ksmd.js';
import { UsageError, USAGE } from './usage.js';

/** `ksm ksmd start|stop|unmerge|set KEY=VALUE...`: returns what to print. */
export function ksmdCommand(args: string[]): string {
  const [action, ...rest] = args;
  const noArguments = () => {
    if (rest.length) throw new UsageError(`"ksmd ${action}" takes no arguments`, USAGE.ksmd);
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
      if (rest.length === 0) throw new UsageError('"ksmd set" needs KEY=VALUE pairs', USAGE.ksmd);
      // fromEntries makes every name an own property, __proto__ included, so configure() sees it.
      const changes: Record<string, unknown> = Object.fromEntries(rest.map((pair) => {
        const match = /^([\w-]+)=(.+)$/.exec(pair);
        if (!match) throw new UsageError(`"${pair}" is not KEY=VALUE`, USAGE.ksmd);
        return settingFromText(match[1], match[2]);
      }));
      const previous = ksmd.configure(changes as Partial<KsmdSettings>);
      return Object.entries(previous).map(([key, before]) => `${key}: ${before} -> ${String(changes[key])}`).join('\n');
    }
    default:
      throw new UsageError(action ? `unknown ksmd action "${action}"` : 'ksmd needs an action', USAGE.ksmd);
  }
}
