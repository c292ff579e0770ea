// The `ksm` command: argument parsing and dispatch. Exit codes: 0 done, 1 failed, 2 bad usage.
import { parseArgs } from 'node:util';
import { KsmError } from '../errors.js';
import { estimateView } from './estimate-view.js';
import { ksmdCommand } from './ksmd-command.js';
import { runCommand } from './run-command.js';
import { status } from './status.js';
import { HELP, UsageError, USAGE } from './usage.js';
import { watchView } from './watch-view.js';

type Streams = { out: NodeJS.WriteStream; err: NodeJS.WriteStream };

/** parseArgs, its complaints turned into usage errors. */
function parse<T>(usage: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

const help = { type: 'boolean', short: 'h' } as const;

/** This package's version, from its package.json (two levels up from lib/cli and dist/cli). */
function version(): string {
  return (require('../../package.json') as { version: string }).version;
}

/** Whether a process with this pid exists (signal 0 checks without sending: EPERM means it does). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a command with a signal that aborts on the first SIGINT (a second one ends ksm as usual). */
async function untilCtrlC<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', stop);
  }
}

/** --pid values as process ids, each once. */
function parsePids(texts: string[], usage: string): number[] {
  return [...new Set(texts.map((text) => {
    if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2 ** 31 - 1) {
      throw new UsageError(`--pid must be a process id (a positive integer), not "${text}"`, usage);
    }
    return Number(text);
  }))];
}

async function dispatch(argv: string[], { out, err }: Streams): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      out.write(`${HELP.main}\n`);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-V':
      out.write(`${version()}\n`);
      return 0;
    case 'status': {
      const { values, positionals } = parse(USAGE.status, () => parseArgs({ args: rest, allowPositionals: true,
        options: { help, json: { type: 'boolean' }, pid: { type: 'string', short: 'p', multiple: true } } }));
      if (values.help) return out.write(`${HELP.status}\n`), 0;
      if (positionals.length) throw new UsageError(`unexpected "${positionals[0]}"`, USAGE.status);
      const pids = values.pid && parsePids(values.pid, USAGE.status);
      // On a terminal, lines are cut to its width; piped, they stay whole (as ps does).
      out.write(`${status({ json: values.json, pids, columns: out.isTTY ? out.columns : undefined })}\n`);
      return 0;
    }
    case 'watch': {
      const { values, positionals } = parse(USAGE.watch, () => parseArgs({ args: rest, allowPositionals: true,
        options: { help, interval: { type: 'string', short: 'i' }, count: { type: 'string' },
          json: { type: 'boolean' } } }));
      if (values.help) return out.write(`${HELP.watch}\n`), 0;
      if (positionals.length) throw new UsageError(`unexpected "${positionals[0]}"`, USAGE.watch);
      const interval = values.interval === undefined ? 2 : Number(values.interval);
      if (!(interval >= 0.1 && interval <= 86_400)) {
        throw new UsageError(`--interval must be a number of seconds from 0.1 to 86400, not "${values.interval}"`, USAGE.watch);
      }
      if (values.count !== undefined && !/^[1-9]\d{0,14}$/.test(values.count)) {
        throw new UsageError(`--count must be a whole number of refreshes, 1 or more, not "${values.count}"`, USAGE.watch);
      }
      await untilCtrlC((signal) => watchView({ intervalSeconds: interval,
        count: values.count === undefined ? undefined : Number(values.count), json: values.json, signal }, out));
      return 0;
    }
    case 'estimate': {
      const { values, positionals } = parse(USAGE.estimate, () => parseArgs({ args: rest, allowPositionals: true,
        options: { help, json: { type: 'boolean' }, pid: { type: 'string', short: 'p', multiple: true },
          self: { type: 'boolean' }, node: { type: 'boolean' } } }));
      if (values.help) return out.write(`${HELP.estimate}\n`), 0;
      if (positionals.length) throw new UsageError(`unexpected "${positionals[0]}"`, USAGE.estimate);
      const pids = values.pid && parsePids(values.pid, USAGE.estimate);
      const missing = pids?.find((pid) => !processExists(pid));
      if (missing !== undefined) return err.write(`ksm: ESRCH: no process with pid ${missing}\n`), 1;
      const text = await untilCtrlC((signal) => estimateView({ pids, self: values.self, nodeProcesses: values.node,
        json: values.json, signal }, out, err));
      out.write(`${text}\n`);
      return 0;
    }
    case 'ksmd': {
      if (rest[0] === '--help' || rest[0] === '-h') return out.write(`${HELP.ksmd}\n`), 0;
      out.write(`${ksmdCommand(rest)}\n`);
      return 0;
    }
    case 'run': {
      // ksm's own options come before the command; everything from the command on is its own.
      let buffers = false;
      let at = 0;
      for (; at < rest.length && rest[at].startsWith('-'); at++) {
        const option = rest[at];
        if (option === '--') {
          at++;
          break;
        }
        if (option === '--help' || option === '-h') return out.write(`${HELP.run}\n`), 0;
        if (option !== '--buffers') throw new UsageError(`unknown option "${option}"`, USAGE.run);
        buffers = true;
      }
      const command = rest.slice(at);
      if (command.length === 0) throw new UsageError('run needs a command', USAGE.run);
      return runCommand(command[0], command.slice(1), err, { buffers });
    }
    default:
      throw new UsageError(`unknown command "${command}"`, USAGE.main);
  }
}

/** Runs the ksm command line; resolves with the exit code. */
export async function main(argv: string[], streams: Streams = { out: process.stdout, err: process.stderr }): Promise<number> {
  try {
    return await dispatch(argv, streams);
  } catch (error) {
    if (error instanceof UsageError) {
      streams.err.write(`ksm: ${error.message}\nUsage: ${error.usage}\n`);
      return 2;
    }
    // Ctrl-C stopped a command that takes an AbortSignal: the shell's convention for SIGINT.
    if ((error as Error | undefined)?.name === 'AbortError') return 130;
    if (error instanceof KsmError || error instanceof TypeError || error instanceof RangeError) {
      streams.err.write(`ksm: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
