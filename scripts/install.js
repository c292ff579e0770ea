'use strict';
// npm's install step. Takes the prebuilt addon shipped for this machine when it loads
// (docs/deployment.md, "Prebuilt addons"); else, or when asked (--build-from-source,
// NODE_KSM_BUILD_FROM_SOURCE=1), builds it with the node-gyp the package manager provides.
// Installed as a dependency it never fails the user's install: where neither works it prints one
// warning, records why in build/install-error.json (capabilities().reasons reads it at run time,
// since npm hides a dependency's script output), and exits 0; the package then imports and
// reports KSM as unsupported. In this repo's own checkout it always compiles, and a failed build
// fails.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const packageRoot = path.resolve(__dirname, '..');
const buildDir = path.join(packageRoot, 'build');
const errorFile = path.join(buildDir, 'install-error.json');
const logFile = path.join(buildDir, 'install.log');
// A dependency lives under some node_modules; the repo's checkout does not.
const developing = !packageRoot.split(path.sep).includes('node_modules');
const rebuild = developing ? 'npm install' : 'npm rebuild node-ksm';

if (process.platform !== 'linux') {
  console.log(`node-ksm: KSM is Linux-only; skipping the native build on ${process.platform}.`);
  process.exit(0);
}

/** The first of `names` that is an executable file in a PATH directory, or undefined. */
function onPath(...names) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** npm, pnpm and yarn hand their own node-gyp to install scripts; this repo has it as a devDependency. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed beside this package
  }
  return candidates.find((file) => file && fs.existsSync(file));
}

/** What the build needs and this machine lacks, each as a short phrase. */
function missingTools(nodeGyp) {
  const missing = [];
  if (!nodeGyp) missing.push('node-gyp (the package manager did not provide one)');
  const compiler = process.env.CXX ? onPath(process.env.CXX) ?? (fs.existsSync(process.env.CXX) ? process.env.CXX : undefined)
    : onPath('g++', 'c++', 'clang++');
  if (!compiler) missing.push(process.env.CXX ? `the C++ compiler CXX=${process.env.CXX}` : 'a C++ compiler (g++, c++ or clang++ on PATH)');
  if (!onPath('make')) missing.push('make');
  const python = process.env.npm_config_python || process.env.PYTHON;
  if (!(python ? onPath(python) ?? fs.existsSync(python) : onPath('python3', 'python'))) missing.push('Python 3 (python3)');
  return missing;
}

/** The first line of what loading `file` in a separate Node threw (or the signal it died of); undefined if it loaded. */
function loadError(file) {
  const check = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(file)}); } catch (error) {
    process.stderr.write(String(error.message).split('\\n')[0]); process.exit(1); }`], { encoding: 'utf8' });
  if (check.status === 0) return undefined;
  return check.signal ? `loading it killed Node with ${check.signal}` : check.stderr.trim() || `exit ${check.status}`;
}

// Why no prebuild serves this machine, when the install compiles instead: said with any failure.
let noPrebuild = '';

/** Takes the prebuild that fits and loads, and ends the install step; else returns, to compile. */
function usePrebuild() {
  let choice;
  try {
    choice = require('../dist/kernel/prebuild.js');
  } catch (error) {
    // A package without its compiled TypeScript (a broken git install) cannot run anyway.
    console.error(`node-ksm: warning: cannot choose a prebuilt addon (${error.message.split('\n')[0]}); compiling from source`);
    return;
  }
  const { buildFromSourceAsked, prebuildFile, prebuildTarget } = choice;
  if (buildFromSourceAsked()) {
    console.log('node-ksm: compiling the native addon from source, as asked (--build-from-source or NODE_KSM_BUILD_FROM_SOURCE)');
    return;
  }
  const target = prebuildTarget();
  const file = prebuildFile(packageRoot, target);
  if (!fs.existsSync(file)) {
    noPrebuild = `no prebuilt addon for ${target}, and `;
    console.log(`node-ksm: no prebuilt addon for ${target}: compiling the native addon from source`);
    return;
  }
  const error = loadError(file);
  if (error === undefined) {
    // An earlier compile or its error record would shadow the prebuild at run time.
    fs.rmSync(buildDir, { recursive: true, force: true });
    console.log(`node-ksm: using the prebuilt addon ${path.relative(packageRoot, file)}; nothing to compile`);
    process.exit(0);
  }
  noPrebuild = `the prebuilt addon ${file} could not be loaded (${error}), and `;
  console.error(`node-ksm: warning: the prebuilt addon ${file} could not be loaded (${error}); compiling the native addon from source`);
}

/** Records why there is no addon, says it once, and ends the install step. */
function giveUp(what, fix) {
  const reason = `the native addon was not built when node-ksm was installed: ${noPrebuild}${what}; ${fix}, then run "${rebuild}"`;
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(errorFile, `${JSON.stringify({ reason }, null, 2)}\n`);
  console.error(`node-ksm: warning: ${reason}. Until then node-ksm loads and reports KSM as unsupported.`);
  process.exit(developing ? 1 : 0);
}

// A checkout of this repo compiles what it has; it has no dist/ before its first build.
if (!developing) usePrebuild();

const nodeGyp = findNodeGyp();
const missing = missingTools(nodeGyp);
if (missing.length > 0) {
  giveUp(`missing ${missing.join(', ')}`,
    'install them (Debian/Ubuntu: apt-get install python3 make g++; Alpine: apk add python3 make g++; ' +
    'Fedora/RHEL: dnf install python3 make gcc-c++)');
}

const args = [nodeGyp, 'rebuild'];
// Build against the running Node's own headers when they are installed beside it, so no
// header download is needed (npm passes its `nodedir` setting itself).
const prefix = path.resolve(process.execPath, '..', '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
console.log(`node-ksm: building the native addon with ${nodeGyp}`);
// The build's output goes to the terminal as it comes, and to a log a failure can point at.
const child = spawn(process.execPath, args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
const log = [];
child.stdout.on('data', (chunk) => { log.push(chunk); process.stdout.write(chunk); });
child.stderr.on('data', (chunk) => { log.push(chunk); process.stderr.write(chunk); });
child.on('error', (error) => giveUp(`node-gyp could not be started (${error.message})`, 'check the Node.js installation'));
child.on('close', (status, signal) => {
  if (status === 0) return;
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(logFile, Buffer.concat(log));
  giveUp(`the build failed (node-gyp ${signal ?? `exit ${status}`}; its output is in ${logFile})`, 'fix what that log names');
});
