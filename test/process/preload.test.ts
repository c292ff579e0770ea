import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/child.js';
import { hasMergeAnyLine, mergeInheritedOnExec, noProcessMerge } from '../helpers/kernel.js';
import { linux } from '../helpers/platform.js';

const BIN = path.join(packageRoot, 'bin', 'ksm.js');

describe.skipIf(!linux)('ksm run and the preload hook', () => {
  // prctl(PR_GET_MEMORY_MERGE) through the package, in the child: ksm_stat's ksm_merge_any line came only in 6.14.
  const mergeAny = `console.log(require('node-ksm').isProcessMergeEnabled() ? 'yes' : 'no')`;
  const node = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, args,
    { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, NODE_KSM_MERGE: undefined, ...env } });

  it.skipIf(noProcessMerge).each([
    ['-r', ['-r', 'node-ksm/register']],
    ['--import', ['--import', 'node-ksm/register']],
  ])(`%s node-ksm/register with NODE_KSM_MERGE=1 turns merge on; without it, off${noProcessMerge ? ` (${noProcessMerge})` : ''}`, (_how, flags) => {
    expect(node([...flags, '-e', mergeAny], { NODE_KSM_MERGE: '1' }).stdout).toBe('yes\n');
    expect(node([...flags, '-e', mergeAny]).stdout).toBe('no\n');
  });

  it.skipIf(noProcessMerge)(`without NODE_KSM_MERGE (or with 0) says nothing; a value it does not know is said once on stderr${noProcessMerge ? ` (${noProcessMerge})` : ''}`, () => {
    for (const env of [{}, { NODE_KSM_MERGE: '0' }, { NODE_KSM_MERGE: '' }]) {
      const quiet = node(['-r', 'node-ksm/register', '-e', mergeAny], env);
      expect({ stdout: quiet.stdout, stderr: quiet.stderr }).toEqual({ stdout: 'no\n', stderr: '' });
    }
    const typo = node(['-r', 'node-ksm/register', '-e', mergeAny], { NODE_KSM_MERGE: 'true' });
    expect(typo.stdout).toBe('no\n');
    expect(typo.stderr).toBe('node-ksm: NODE_KSM_MERGE="true" is not a value node-ksm knows (1 turns process-wide ' +
      'merge on, buffers turns transparent mode on; 0 or unset leaves both off): nothing was changed\n');
  });

  it.skipIf(noProcessMerge)(`works through NODE_OPTIONS${noProcessMerge ? ` (${noProcessMerge})` : ''}`, () => {
    expect(node(['-e', mergeAny], { NODE_KSM_MERGE: '1', NODE_OPTIONS: '-r node-ksm/register' }).stdout).toBe('yes\n');
  });

  it.each(['1', 'buffers'])('where Node\'s permission model lets it read only the hook itself, NODE_KSM_MERGE=%s warns once and the app runs', (merge) => {
    const app = path.join(packageRoot, 'test', 'fixtures', 'plain-app.cjs');
    const register = path.join(packageRoot, 'dist', 'register.js');
    const permission = Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';
    const result = node([permission, `--allow-fs-read=${app}`, `--allow-fs-read=${register}`, '-r', register, app], { NODE_KSM_MERGE: merge });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: 'app ran\n' });
    expect(result.stderr.replace(/.*ExperimentalWarning.*\n(.*--trace-warnings.*\n)?/g, '').trim().split('\n')).toEqual([
      expect.stringMatching(/^node-ksm: NODE_KSM_MERGE=(1|buffers), but .*(Access to this API has been restricted|ERR_ACCESS_DENIED)/)]);
  });

  it('on a host that cannot merge, warns once and lets the app run', () => {
    const result = node(['-e', `Object.defineProperty(process, 'platform', { value: 'darwin' });
      require('node-ksm/register'); console.log('app ran')`], { NODE_KSM_MERGE: '1' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('app ran\n');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^node-ksm: NODE_KSM_MERGE=1, but process-wide merge could not be turned on: KSM is not available/);
  });

  it.skipIf(noProcessMerge)(`ksm run starts a command with merge on and passes its exit code back${noProcessMerge ? ` (${noProcessMerge})` : ''}`, () => {
    expect(node([BIN, 'run', '--', process.execPath, '-e', mergeAny]).stdout).toBe('yes\n');
    // A program that is not node gets it through exec from 6.7, and sees it in its own ksm_stat
    // where the kernel shows it (6.14+); before 6.7 ksm run refuses it, saying why.
    if (mergeInheritedOnExec && hasMergeAnyLine) {
      expect(node([BIN, 'run', 'sh', '-c', 'grep -c "merge_any: yes" /proc/self/ksm_stat']).stdout).toBe('1\n');
    }
    if (!mergeInheritedOnExec) {
      expect(node([BIN, 'run', 'true']).stderr).toMatch(/drops process-wide merge at exec \(kept only from 6\.7\)/);
    }
    expect(node([BIN, 'run', process.execPath, '-e', 'process.exit(3)']).status).toBe(3);
    expect(node([BIN, 'run', '/nonexistent/command']).status).toBe(mergeInheritedOnExec ? 127 : 1);
  });
});
