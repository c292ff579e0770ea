// npm run format:check: clang-format in --dry-run --Werror mode over the addon's C++ and the
// fault injector. The binary is the clang-format-node devDependency's, pinned, because the
// LLVM version decides the output; files are listed here rather than by a shell glob so that
// the check runs the same under cmd.exe.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { clangFormatPath } from 'clang-format-node';

const sources = (dir) => fs.readdirSync(dir, { recursive: true })
  .filter((name) => /\.(cc|h)$/.test(name)).map((name) => `${dir}/${name}`).sort();
const files = [...sources('native'), ...sources('test/faults')];
const { status, error } = spawnSync(clangFormatPath, ['--dry-run', '--Werror', ...files], { stdio: 'inherit' });
if (error) throw error;
process.exit(status ?? 1);
