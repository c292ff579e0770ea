// A `ksm` command as main's table holds it, and what the commands share: options parsed with
// --help and usage errors handled once, --pid values, Ctrl-C as an abort.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Streams {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** One `ksm` command: its line in `ksm --help`, its own help, and what it does. */
export interface Command {
  name: string;
  /** Its line in `ksm --help`. */
  summary: string;
  /** Its usage line, atop its help and after each of its usage errors. */
  usage: string;
  /** `ksm <name> --help` below the usage line. */
  help: string;
  /** Runs it on the arguments after its name; resolves with the exit code, throws UsageError for a bad command line. */
  run(args: string[], streams: Streams): number | Promise<number>;
}

/** A bad command line: main prints the message and the usage line, and exits with 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `ksm <name> --help`. */
export function helpText({ usage, help }: Pick<Command, 'usage' | 'help'>): string {
  return `Usage: ${usage}\n\n${help}`;
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
type Values<O extends OptionsConfig> =
  ReturnType<typeof parseArgs<{ args: string[]; options: typeof HELP_OPTION & O; allowPositionals: true }>>['values'];

/** A command whose options parseArgs reads, given the values of its options. */
export interface OptionsCommand<O extends OptionsConfig> extends Omit<Command, 'run'> {
  options: O;
  run(values: Values<O>, streams: Streams): number | Promise<number>;
}

/**
 * The command, its options read by parseArgs: -h/--help shows its help, and parseArgs's
 * complaints and any positional argument are usage errors.
 */
export function withOptions<O extends OptionsConfig>({ options, run, ...command }: OptionsCommand<O>): Command {
  return {
    ...command,
    run(args, streams) {
      let parsed: { values: Record<string, unknown>; positionals: string[] };
      try {
        parsed = parseArgs({ args, allowPositionals: true, options: { ...HELP_OPTION, ...options } });
      } catch (error) {
        throw new UsageError((error as Error).message, command.usage);
      }
      const { values, positionals } = parsed;
      if (values.help) return streams.out.write(`${helpText(command)}\n`), 0;
      if (positionals.length) throw new UsageError(`unexpected "${positionals[0]}"`, command.usage);
      return run(values as Values<O>, streams);
    },
  };
}

/** --pid values as process ids, each once. */
export function parsePids(texts: string[], usage: string): number[] {
  return [...new Set(texts.map((text) => {
    if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2 ** 31 - 1) {
      throw new UsageError(`--pid must be a process id (a positive integer), not "${text}"`, usage);
    }
    return Number(text);
  }))];
}

/** Runs a command with a signal that aborts on the first SIGINT (a second one ends ksm as usual). */
export async function untilCtrlC<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', stop);
  }
}
