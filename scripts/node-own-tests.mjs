// Runs Node.js's own test files (its test/parallel) twice under each Node binary: plain, and in
// transparent mode (-r dist/register.js, NODE_KSM_MERGE=buffers), and reports every file whose
// outcome (exit code and signal) differs. Node's tests pin down Buffer behaviour in detail that
// our own tests would not think to check, so a difference here is a place where the mode is
// observable. Output text is not compared: it carries pids, timings and paths.
//
//   node scripts/node-own-tests.mjs --node-tests DIR [--node PATH]... [--filter REGEX]
//     [--jobs 2] [--timeout 60] [--recheck 2]
//
// DIR holds Node's test/ (test/parallel, test/common, test/fixtures), as in a Node source tree;
// tests run with DIR as cwd, as Node's tools/test.py runs them from the tree's root. Without
// --node: every bin/node cached by `npm run test:node` (NODE_KSM_NODE_CACHE), else this node.
// Tests written for one Node release may fail under another: those fail plain, and are counted
// apart rather than compared. A file that also fails with node-ksm preloaded (-r dist/index.js)
// and the mode off is about preloading a package (Node's tests of which builtins load, of its
// permission model, of source maps at exit), and is listed apart. Exits 1 if any other file
// differs. Build first.
// Where to get Node's tests: a Node source tree of the release (Debian's nodejs source package,
// `apt-get source nodejs`, carries them); one release's tests run under the others too.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const register = path.join(root, 'dist', 'register.js');
const library = path.join(root, 'dist', 'index.js');
// Files whose subject is Buffers or moves them (streams, fs, zlib, crypto, workers, child
// processes), and those that watch what a preload can disturb (bootstrap, module loading,
// permissions, prototypes an app replaces). About 1,550 files: 3 minutes under Node 22 and 5
// under Node 26 on 2 cores. Adding http-|net-|tls- (sockets) takes Node 26 to about 10.
const DEFAULT_FILTER = '^test-(buffer|blob|string|fs-|stream|zlib|webstreams|whatwg|crypto|webcrypto|worker|process|' +
  'require|module|bootstrap|os-|permission|util|v8|vm|child-process|dgram|file|fetch|readline|source-map|structuredClone)';

const { values } = parseArgs({
  options: {
    'node-tests': { type: 'string' },
    node: { type: 'string', multiple: true, default: [] },
    filter: { type: 'string', default: DEFAULT_FILTER },
    jobs: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '60' },
    recheck: { type: 'string', default: '2' },
  },
});
if (!values['node-tests']) {
  console.error('usage: node scripts/node-own-tests.mjs --node-tests DIR [--node PATH]... [--filter REGEX] [--jobs N] [--timeout S] [--recheck N]');
  process.exit(2);
}
if (!fs.existsSync(register)) {
  console.error(`node-own-tests: ${register} is missing: npm run build first`);
  process.exit(2);
}
const testsDir = path.resolve(values['node-tests']);
const parallelDir = path.join(testsDir, 'test', 'parallel');
const filter = new RegExp(values.filter);
const jobs = Number(values.jobs);
const timeoutMs = Number(values.timeout) * 1000;
const rechecks = Number(values.recheck);

function defaultNodes() {
  const cache = process.env.NODE_KSM_NODE_CACHE || '/var/tmp/node-ksm-node';
  const found = fs.existsSync(cache)
    ? fs.readdirSync(cache).filter((dir) => dir.endsWith(`-${process.arch}`))
      .map((dir) => path.join(cache, dir, 'bin', 'node')).filter((file) => fs.existsSync(file))
    : [];
  return found.length > 0 ? found : [process.execPath];
}
const nodes = values.node.length > 0 ? values.node.map((file) => path.resolve(file)) : defaultNodes();

// The names tools/test.py lists in a test directory, narrowed by the filter.
const files = fs.readdirSync(parallelDir).filter((name) => /^test-.*\.m?js$/.test(name) && filter.test(name)).sort();

// tools/test.py takes the first `// Flags:` comment's words as node options for that file.
function flagsOf(file) {
  const match = /\/\/\s+Flags:(.*)/.exec(fs.readFileSync(file, 'utf8'));
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}

// The environment tools/test.py gives a test, minus anything that would turn node-ksm (or other
// preloads) on in the plain run. NODE_SKIP_FLAG_CHECK: the flags are passed, so test/common must
// not respawn the test to add them.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) =>
  !key.startsWith('NODE_KSM_') && key !== 'NODE_OPTIONS' && key !== 'NODE_PATH' && key !== 'NODE_REPL_EXTERNAL_MODULE'));
Object.assign(baseEnv, { NODE_SKIP_FLAG_CHECK: 'true', TEST_PARALLEL: String(jobs), GITHUB_STEP_SUMMARY: '' });
// PLACEMENT=always: place Buffers even with ksmd stopped, so the mode's code paths run here.
const modeEnv = { NODE_KSM_MERGE: 'buffers', NODE_KSM_PLACEMENT: 'always' };

const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) killGroup(child);
    process.exit(130);
  });
}
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL'); // the test and any children it started
  } catch { /* already gone */ }
}

/**
 * One run of one file. `slot` picks the test's tmpdir (test/.tmp.<slot>), so that files running
 * side by side do not clean each other's. Resolves { code, signal, timedOut, stderr }.
 */
function runFile(node, file, mode, slot, preloadOnly = false) {
  const preload = mode ? ['-r', register] : preloadOnly ? ['-r', library] : [];
  const args = [...flagsOf(path.join(parallelDir, file)), ...preload, path.join('test', 'parallel', file)];
  const env = { ...baseEnv, TEST_SERIAL_ID: String(slot), TEST_THREAD_ID: String(slot), ...(mode ? modeEnv : {}) };
  return new Promise((resolve) => {
    // Its own process group, so a timeout ends the servers and children a test started too.
    const child = spawn(node, args, { cwd: testsDir, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    running.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text) => { if (stderr.length < 64 * 1024) stderr += text; });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; killGroup(child); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, timedOut, stderr });
    });
  });
}

const describe = (run) => (run.timedOut ? 'timeout' : run.signal ? `signal ${run.signal}` : `exit ${run.code}`);
const passed = (run) => !run.timedOut && run.code === 0 && run.signal === null;
const firstLines = (text, count = 12) => text.split('\n').filter((line) => line.trim() !== '').slice(0, count);

/** Runs `work` over `items` with `jobs` at a time; `work` gets the item and its slot number. */
async function pool(items, work) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async (_, slot) => {
    while (next < items.length) await work(items[next++], slot);
  }));
}

let anyDifference = false;
for (const node of nodes) {
  const started = Date.now();
  const version = await new Promise((resolve) => {
    const child = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (text) => { out += text; });
    child.on('close', () => resolve(out.trim() || node));
  });
  console.log(`\nNode ${version} (${node}): ${files.length} files from ${parallelDir}`);
  const failsPlain = [];
  const differences = [];
  const preloadDifferences = [];
  const flakes = [];
  const seconds = new Map(); // per file, both runs: shows what to leave out of --filter when a run takes too long
  let done = 0;
  await pool(files, async (file, slot) => {
    const fileStarted = Date.now();
    const plain = await runFile(node, file, false, slot);
    const mode = await runFile(node, file, true, slot);
    if (!passed(plain)) {
      failsPlain.push({ file, plain, mode });
      console.log(`  fails plain: ${file} (${describe(plain)}; in the mode ${passed(mode) ? 'passes' : 'also fails'})`);
    } else if (!passed(mode)) {
      // Both runs again, --recheck times: a flake does not repeat, a real difference does.
      const again = [];
      for (let i = 0; i < rechecks; i++) again.push({ plain: await runFile(node, file, false, slot), mode: await runFile(node, file, true, slot) });
      // The package preloaded, the mode off: a test that fails so too is about preloading the
      // package (the builtins it loads, files it reads, its source maps), not about Buffers.
      const preload = await runFile(node, file, false, slot, true);
      const flaky = again.some((run) => passed(run.mode));
      (flaky ? flakes : passed(preload) ? differences : preloadDifferences).push({ file, mode, again });
      const what = flaky ? 'flaky (passed in the mode on a recheck)' : passed(preload) ? 'DIFFERS' : 'differs with the preload alone too';
      console.log(`  ${what}: ${file} (plain exit 0, in the mode ${describe(mode)})`);
    }
    seconds.set(file, (Date.now() - fileStarted) / 1000);
    if (++done % 50 === 0) console.log(`  ${done}/${files.length} files`);
  });

  const slowest = [...seconds].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([file, s]) => `${file} ${s.toFixed(1)} s`);
  console.log(`\nNode ${version}: ${files.length} files in ${Math.round((Date.now() - started) / 1000)} s: ${files.length - failsPlain.length} passed plain, ` +
    `${failsPlain.length} failed plain (${failsPlain.filter((f) => !passed(f.mode)).length} also fail in the mode), ${differences.length} differ, ` +
    `${preloadDifferences.length} differ with node-ksm preloaded and the mode off too, ${flakes.length} flaky`);
  console.log(`  slowest: ${slowest.join(', ')}`);
  for (const { file } of preloadDifferences) console.log(`  differs with the preload alone too: ${file}`);
  for (const { file } of flakes) console.log(`  flaky: ${file}`);
  for (const { file, mode, again } of differences.sort((a, b) => a.file.localeCompare(b.file))) {
    const repeats = again.map((run) => `plain ${describe(run.plain)} / mode ${describe(run.mode)}`).join('; ');
    console.log(`\n  ${file}: in the mode ${describe(mode)}${again.length ? `; rechecked: ${repeats}` : ''}`);
    for (const line of firstLines(mode.stderr)) console.log(`    | ${line}`);
  }
  for (const { file, plain, mode } of failsPlain.sort((a, b) => a.file.localeCompare(b.file))) {
    console.log(`  failed plain: ${file} (${describe(plain)}; mode ${passed(mode) ? 'passes' : 'also fails'})`);
  }
  if (differences.length > 0) anyDifference = true;
}
process.exit(anyDifference ? 1 : 0);
