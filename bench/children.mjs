// Child processes for the bench: start one, wait for its "ready", stop it by closing stdin.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = (name) => fileURLToPath(new URL(name, import.meta.url));

/**
 * Starts `node [...nodeArgs] bench/<name> ...args` (with `env` added to ours) and resolves with
 * it once it has printed "ready".
 */
export function startChild(name, args, { nodeArgs = [], env = {} } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script(name), ...args.map(String)],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => {
      if (!String(chunk).startsWith('ready')) reject(new Error(String(chunk)));
      child.readyLine = String(chunk).trim(); // "ready" and whatever the child adds (pids)
      resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`bench child ${name} exited with ${code}`)));
  });
}

export async function stopChild(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  await exited;
}

/**
 * Runs `node [...nodeArgs] bench/<name> ...args` to completion and parses the last JSON line it printed,
 * adding `died` (the signal) when it did not exit normally.
 */
export function runChild(name, args, { nodeArgs = [], env = {} } = {}) {
  const result = spawnSync(process.execPath, [...nodeArgs, script(name), ...args.map(String)],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  const last = result.stdout.trim().split('\n').filter(Boolean).pop();
  return { ...(last ? JSON.parse(last) : {}), ...(result.status === 0 ? {} : { died: result.signal ?? `exit ${result.status}` }) };
}
