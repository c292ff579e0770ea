// node scripts/check-elf-baseline.mjs [--baseline NAME=VERSION]... FILE...: fails when a file
// needs a symbol version past the oldest system a prebuilt addon must load on: glibc 2.28 and
// GCC 8's libstdc++ (RHEL 8, the oldest Linux Node 22+ supports). Prints each file's newest need
// of each library. Reads the version needs with readelf (binutils), which reads every ELF
// machine, so one check serves the x64 and the arm64 build.
import { execFileSync } from 'node:child_process';

const baseline = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11', GCC: '8.0.0' };

const compare = (a, b) => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

const files = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] !== '--baseline') {
    files.push(process.argv[i]);
    continue;
  }
  const [name, version] = process.argv[++i].split('=');
  baseline[name] = version;
}
let failed = false;
for (const file of files) {
  const listing = execFileSync('readelf', ['--version-info', '--wide', file], { encoding: 'utf8' });
  const needs = listing.slice(listing.indexOf('.gnu.version_r'));
  const newest = {};
  for (const [, name, version] of needs.matchAll(/Name: ([A-Z]+)_([\d.]+|PRIVATE)\b/g)) {
    const past = version === 'PRIVATE' || !(name in baseline) || compare(version, baseline[name]) > 0;
    if (past) {
      console.error(`${file}: needs ${name}_${version}, past the baseline ${name}_${baseline[name] ?? '(none)'}`);
      failed = true;
    }
    if (!newest[name] || version === 'PRIVATE' || compare(version, newest[name]) > 0) newest[name] = version;
  }
  console.log(`${file}: ${Object.entries(newest).map(([name, version]) => `${name}_${version}`).join(' ')}`);
}
process.exit(failed ? 1 : 0);
