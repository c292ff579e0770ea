import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { capabilities } from '../capabilities.js';
import { enableProcessMerge } from '../process-merge.js';

const REGISTER = path.join(__dirname, '..', 'register.js');
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

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
export async function runCommand(command: string, args: string[], err: NodeJS.WriteStream,
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

/** Starts the command with signals meant for it forwarded; resolves with its exit code. */
function spawnAndWait(command: string, args: string[], env: NodeJS.ProcessEnv, err: NodeJS.WriteStream): Promise<number> {
  const child = spawn(command, args, { stdio: 'inherit', env });
  // The child gets the signals meant for it; ours end when it does.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  const done = (code: number) => {
    for (const signal of FORWARDED) process.off(signal, forward);
    return code;
  };
  return new Promise((resolve) => {
    child.once('error', (error) => {
      err.write(`ksm run: cannot start "${command}": ${error.message}\n`);
      resolve(done(127));
    });
    child.once('exit', (code, signal) => {
      resolve(done(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
    });
  });
}
