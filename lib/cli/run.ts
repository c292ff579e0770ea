// `ksm run`: a command run with process-wide merge, or transparent mode, turned on.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { capabilities } from '../capabilities.js';
import { enableProcessMerge } from '../process-merge.js';
import { helpText, UsageError, type Command } from './command.js';

const usage = 'ksm run [--buffers] [--] COMMAND [ARGS...]';

const REGISTER = path.join(__dirname, '..', 'register.js');
// Passed on to the command, as tini and timeout(1) do; ksm itself never dies of them.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
// Ctrl-C and Ctrl-\: a terminal sends them to its whole foreground process group, the command
// included, so passing them on would deliver them twice (apps take a second SIGINT as "force quit").
const FROM_TERMINAL: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT']);

function isNode(command: string): boolean {
  return command === process.execPath || /^node(js)?(\.exe)?$/.test(path.basename(command));
}

/** NODE_OPTIONS with node-ksm's preload hook added, for every node process the command starts. */
function withRegister(env: NodeJS.ProcessEnv): string {
  return `${env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(REGISTER)}`.trim();
}

/**
 * Runs the command with process-wide merge on, or with `buffers`, in transparent mode. From
 * Linux 6.7 the process-wide flag survives exec, so it is set here and the child inherits it
 * through fork and exec; before that, node commands get it from the preload hook, and others
 * cannot have it. Transparent mode lives in each node process: the preload hook turns it on in
 * every node process the command starts (NODE_OPTIONS passes through shells and npm), and
 * where it cannot, that process warns and runs on. Resolves with the exit code to use.
 */
async function runWithMerge(command: string, args: string[], err: NodeJS.WriteStream,
  { buffers = false } = {}): Promise<number> {
  const env = { ...process.env };
  if (buffers) {
    env.NODE_KSM_MERGE = 'buffers';
    env.NODE_OPTIONS = withRegister(env);
    return spawnAndWait(command, args, env, err);
  }
  const caps = capabilities();
  if (!caps.processMerge) {
    err.write(`ksm run: process-wide merge is not available here: ${caps.reasons.join('; ')}\n`);
    return 1;
  }
  if (caps.processMergeInheritedOnExec) {
    enableProcessMerge();
  } else if (isNode(command)) {
    env.NODE_KSM_MERGE = '1';
    env.NODE_OPTIONS = withRegister(env);
  } else {
    err.write(`ksm run: Linux ${os.release()} drops process-wide merge at exec (kept only from 6.7), so it can ` +
      `be turned on only for node commands (through -r node-ksm/register), not for "${command}"\n`);
    return 1;
  }
  return spawnAndWait(command, args, env, err);
}

/**
 * Starts the command with the signals meant for it passed on; resolves with its exit code, or
 * 128 + the signal's number if a signal ended it, 126 if it cannot be executed and 127 if it is
 * not found (as shells do). With no terminal on stdin, stdout or stderr (supervisors, systemd,
 * docker without -t, CI), the command gets a process group (and session) of its own, so a
 * signal sent to ksm's group reaches it once, through ksm. With a terminal it must stay in
 * ksm's group, the terminal's foreground job, to read from it: then the terminal's own signals
 * reach it directly and are not passed on.
 */
function spawnAndWait(command: string, args: string[], env: NodeJS.ProcessEnv,
  err: NodeJS.WriteStream): Promise<number> {
  const terminal = [0, 1, 2].some((fd) => tty.isatty(fd));
  const cannotStart = (error: NodeJS.ErrnoException) => {
    err.write(`ksm run: cannot start "${command}": ${error.message}\n`);
    return error.code === 'ENOENT' ? 127 : 126;
  };
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(command, args, { stdio: 'inherit', env, detached: !terminal });
  } catch (error) {
    // spawn() throws, rather than emits, what it finds before forking (ENOTDIR, E2BIG, ...).
    return Promise.resolve(cannotStart(error as NodeJS.ErrnoException));
  }
  const forward = (signal: NodeJS.Signals) => {
    if (!(terminal && FROM_TERMINAL.has(signal))) child.kill(signal);
  };
  // A listener, even one that passes nothing on, keeps the signal from ending ksm (and SIGUSR1
  // from starting Node's inspector in it).
  for (const signal of FORWARDED) process.on(signal, forward);
  const done = (code: number) => {
    for (const signal of FORWARDED) process.off(signal, forward);
    return code;
  };
  return new Promise((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Once started, an error is a signal that could not be passed on: the command runs on.
      if (child.pid !== undefined) return void err.write(`ksm run: ${error.message}\n`);
      resolve(done(cannotStart(error)));
    });
    child.once('exit', (code, signal) => {
      resolve(done(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
    });
  });
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run a command with process-wide merge, or transparent mode, turned on',
  usage,
  help: `Runs COMMAND with process-wide merge (PR_SET_MEMORY_MERGE) turned on. On Linux 6.7+ the setting
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
  run(args, { out, err }) {
    // ksm's own options come before the command; everything from the command on is its own.
    let buffers = false;
    let at = 0;
    for (; at < args.length && args[at].startsWith('-'); at++) {
      const option = args[at];
      if (option === '--') {
        at++;
        break;
      }
      if (option === '--help' || option === '-h') return out.write(`${helpText(runCommand)}\n`), 0;
      if (option !== '--buffers') throw new UsageError(`unknown option "${option}"`, usage);
      buffers = true;
    }
    const command = args.slice(at);
    if (command.length === 0) throw new UsageError('run needs a command', usage);
    return runWithMerge(command[0], command.slice(1), err, { buffers });
  },
};
