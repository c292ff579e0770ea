// The two kinds of native/ (docs/architecture.md), checked over the include lines of its files:
// binding/ is the glue to Node-API; core/ never touches Node, so it includes std, libc and kernel
// headers and, of ours, only core/ ones (so nothing of Node reaches it through them either).
// V8 itself is only in binding/v8_bridge.cc, and binding.gyp compiles every .cc there is.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/paths.js';

const native = path.join(packageRoot, 'native');

/** Every file under native/, as a path relative to it. */
function sources(dir = native): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : [path.relative(native, full)];
  });
}

interface Include { name: string; quoted: boolean }

function includes(file: string): Include[] {
  const text = fs.readFileSync(path.join(native, file), 'utf8');
  return [...text.matchAll(/^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]/gm)]
    .map((match) => ({ name: match[2], quoted: match[1] === '"' }));
}

// The headers of Node, Node-API, V8 and libuv (of V8, only binding/v8_bridge.cc includes any).
const V8_HEADER = /^(v8(-[\w-]+)?|v8config)\.h$|^(cppgc|libplatform)\//;
const NODE_HEADER = new RegExp(`^(napi(-inl)?|node(_\\w+)?|js_native_api(_\\w+)?|uv)\\.h$|^uv/|${V8_HEADER.source}`);

describe('the two kinds of native/', () => {
  const files = sources();
  const core = files.filter((file) => file.startsWith('core/'));

  it('reads the include lines it checks', () => {
    expect(core).toContain('core/allocator.cc');
    expect(includes('core/allocator.cc')).toContainEqual({ name: 'core/allocator.h', quoted: true });
    expect(includes('binding/addon.cc')).toContainEqual({ name: 'napi.h', quoted: false });
    expect(includes('binding/js_values.cc').map((include) => include.name).filter((name) => NODE_HEADER.test(name)))
      .toEqual(['uv.h']);
  });

  it('every file is in binding/ or core/, but the link-level glibc_baseline.cc', () => {
    expect(files.filter((file) => !/^(binding|core)\//.test(file))).toEqual(['glibc_baseline.cc']);
  });

  it('core/ includes no header of Node, Node-API, V8 or libuv, and of ours only core/ headers', () => {
    const wrong = core.flatMap((file) => includes(file)
      .filter(({ name, quoted }) => NODE_HEADER.test(name) || /(^|\/)binding\/|\.\.\//.test(name) ||
        (quoted && !name.startsWith('core/')))
      .map(({ name, quoted }) => `${file} includes ${quoted ? `"${name}"` : `<${name}>`}`));
    expect(wrong).toEqual([]);
  });

  it('only binding/v8_bridge.cc includes V8', () => {
    const users = files.filter((file) => includes(file).some(({ name }) => V8_HEADER.test(name)));
    expect(users).toEqual(['binding/v8_bridge.cc']);
  });

  it('binding.gyp compiles every .cc under native/, and nothing else', () => {
    const gyp = fs.readFileSync(path.join(packageRoot, 'binding.gyp'), 'utf8');
    const listed = [...gyp.matchAll(/"native\/([^"]+)"/g)].map((match) => match[1]);
    expect(listed.sort()).toEqual(files.filter((file) => file.endsWith('.cc')).sort());
  });
});
