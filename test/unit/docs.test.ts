// The docs cannot drift from the package: docs/api.md covers every export, and every relative
// link between the docs reaches a file and, where it names one, a heading.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/paths.js';

type Checker = typeof import('../../scripts/check-api-docs.mjs', { with: { 'resolution-mode': 'import' } });
const apiDoc = fs.readFileSync(path.join(packageRoot, 'docs', 'api.md'), 'utf8');

describe('docs/api.md', () => {
  let checkApiDocs: Checker['checkApiDocs'];
  let api: ReturnType<Checker['exportedApi']>;
  let codes: string[];
  beforeAll(async () => {
    const checker: Checker = await import('../../scripts/check-api-docs.mjs');
    checkApiDocs = checker.checkApiDocs;
    api = checker.exportedApi();
    codes = checker.errorCodes();
  });

  it('has a section for every export, a mention of every member, and every error code', () => {
    expect(api.map((entry) => entry.name)).toEqual(expect.arrayContaining(['markMergeable', 'ksmd', 'Capabilities', 'registerKsmMetrics']));
    expect(api.find((entry) => entry.name === 'ksmd')?.members).toContain('ksmd.override');
    expect(codes).toEqual(expect.arrayContaining(['ERR_KSM_UNSUPPORTED', 'ERR_FS_FILE_TOO_LARGE', 'NODE_KSM_MERGE']));
    expect(checkApiDocs(apiDoc, api, codes)).toEqual([]);
  });

  it('fails when an export loses its section', () => {
    const withoutSection = apiDoc.replace(/^(#+ .*)`waitForMerge\b/gm, '$1`waitUntilMerged');
    expect(withoutSection).not.toBe(apiDoc);
    expect(checkApiDocs(withoutSection, api, codes)).toContain(
      'node-ksm: export waitForMerge has no heading that names it (e.g. "### `waitForMerge`")');
  });

  it('fails when a member, an error code or an environment variable goes unmentioned', () => {
    const withoutMember = apiDoc.replaceAll('`ksmd.override', '`ksmd.overrule');
    expect(checkApiDocs(withoutMember, api, codes)).toEqual([expect.stringMatching(/^node-ksm: ksmd\.override is not mentioned in the section "/)]);
    const withoutCode = apiDoc.replaceAll('ERR_FS_FILE_TOO_LARGE', 'ERR_FILE_TOO_BIG');
    expect(checkApiDocs(withoutCode, api, codes)).toEqual(['error code ERR_FS_FILE_TOO_LARGE is not documented']);
    const withoutVariable = apiDoc.replaceAll('NODE_KSM_BUFFER_THRESHOLD', 'NODE_KSM_LIMIT');
    expect(checkApiDocs(withoutVariable, api, codes)).toEqual(['environment variable NODE_KSM_BUFFER_THRESHOLD is not documented']);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const match = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (match) anchors.add(anchorOf(match[1]));
  }
  return anchors;
}

const docs = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...fs.readdirSync(path.join(packageRoot, 'docs')).map((f) => `docs/${f}`)]
  .filter((file) => file.endsWith('.md'));

describe('the docs', () => {
  it('README.md stays short: at most 200 lines', () => {
    expect(fs.readFileSync(path.join(packageRoot, 'README.md'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(200);
  });

  it.each(docs)('%s: every relative link reaches a file, and its #anchor a heading there', (file) => {
    const text = fs.readFileSync(path.join(packageRoot, file), 'utf8');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [linked, anchor] = target.split('#');
      const resolved = linked ? path.join(path.dirname(path.join(packageRoot, file)), linked) : path.join(packageRoot, file);
      if (!fs.existsSync(resolved)) broken.push(`${target}: no such file`);
      else if (anchor && !anchorsIn(fs.readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
