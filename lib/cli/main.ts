// The `ksm` command: the table of commands, and dispatch. Exit codes: 0 done, 1 failed, 2 bad usage.
import { KsmError } from '../errors.js';
import { UsageError, type Command, type Streams } from './command.js';
import { estimateCommand } from './estimate.js';
import { ksmdCommand } from './ksmd.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { watchCommand } from './watch.js';

const COMMANDS: readonly Command[] = [statusCommand, watchCommand, estimateCommand, ksmdCommand, runCommand];

const USAGE = `ksm <${COMMANDS.map(({ name }) => name).join('|')}> [options]   (ksm <command> --help for more)`;
const NAME_WIDTH = Math.max(...COMMANDS.map(({ name }) => name.length));

const HELP = `Usage: ${USAGE}

Kernel Samepage Merging for Node.js: see what KSM saves and control it.

Commands:
${COMMANDS.map(({ name, summary }) => `  ${name.padEnd(NAME_WIDTH)} ${summary}`).join('\n')}

Options:
  -h, --help      this help
  -V, --version   node-ksm's version`;

/** This package's version, from its package.json (two levels up from lib/cli and dist/cli). */
function version(): string {
  return (require('../../package.json') as { version: string }).version;
}

async function dispatch(argv: string[], streams: Streams): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      streams.out.write(`${HELP}\n`);
      return name === undefined ? 2 : 0;
    case '--version':
    case '-V':
      streams.out.write(`${version()}\n`);
      return 0;
  }
  const command = COMMANDS.find((known) => known.name === name);
  if (command === undefined) throw new UsageError(`unknown command "${name}"`, USAGE);
  return command.run(rest, streams);
}

/** Runs the ksm command line; resolves with the exit code. */
export async function main(argv: string[],
  streams: Streams = { out: process.stdout, err: process.stderr }): Promise<number> {
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
