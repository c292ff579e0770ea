// The docs cannot drift from the package: docs/api.md covers every export, each export's TSDoc is
// one line linking to its section there, and every relative link between the docs reaches a file
// and, where it names one, a heading.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/paths.js';

type Checker = typeof import('../../scripts/check-api-docs.mjs', { with: { 'resolution-mode': 'import' } });
type ApiEntry = ReturnType<Checker['exportedApi']>[number];
const apiDoc = fs.readFileSync(path.join(packageRoot, 'docs', 'api.md'), 'utf8');

let checker: Checker;
beforeAll(async () => {
  checker = await import('../../scripts/check-api-docs.mjs');
});

describe('docs/api.md', () => {
  let checkApiDocs: Checker['checkApiDocs'];
  let api: ApiEntry[];
  let codes: string[];
  beforeAll(() => {
    checkApiDocs = checker.checkApiDocs;
    api = checker.exportedApi();
    codes = checker.errorCodes();
  });
  /** The API with one entry changed, as if its source said otherwise. */
  const changed = (name: string, change: (entry: ApiEntry) => void): ApiEntry[] =>
    api.map((entry) => {
      if (entry.name !== name) return entry;
      const copy = structuredClone(entry);
      change(copy);
      return copy;
    });
  const link = (anchor: string) => `${checker.apiDocUrl}#${anchor}`;
  const markAnchor = 'markmergeableview-options-advisedrange';

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
    expect(checkApiDocs(withoutMember, api, codes)).toEqual([
      expect.stringMatching(/^node-ksm: ksmd\.override is not mentioned in the section "/),
      // Its heading went with it, so its TSDoc's link leads nowhere.
      expect.stringMatching(/^node-ksm: ksmd\.override: its TSDoc \(lib\/ksmd\.ts:\d+\) links to #ksmdoverridechanges---void, not a heading/),
    ]);
    const withoutCode = apiDoc.replaceAll('ERR_FS_FILE_TOO_LARGE', 'ERR_FILE_TOO_BIG');
    expect(checkApiDocs(withoutCode, api, codes)).toEqual(['error code ERR_FS_FILE_TOO_LARGE is not documented']);
    const withoutVariable = apiDoc.replaceAll('NODE_KSM_BUFFER_THRESHOLD', 'NODE_KSM_LIMIT');
    expect(checkApiDocs(withoutVariable, api, codes)).toEqual(['environment variable NODE_KSM_BUFFER_THRESHOLD is not documented']);
  });

  it('reads each export\'s TSDoc, and the TSDoc a method of ksmd shows (its function\'s, for `{ settings }`)', () => {
    const mark = api.find((entry) => entry.name === 'markMergeable');
    expect(mark?.docs).toEqual([{ at: expect.stringMatching(/^lib\/advise\.ts:\d+$/), text: expect.stringContaining(link(markAnchor)) }]);
    const ksmd = api.find((entry) => entry.name === 'ksmd');
    expect(ksmd?.methods).toBe(true);
    expect(ksmd?.memberDocs['ksmd.settings']).toEqual([{ at: expect.stringMatching(/^lib\/ksmd\.ts:\d+$/),
      text: expect.stringContaining(link('ksmdsettings-partialksmdsettings')) }]);
  });

  it('fails when an export\'s TSDoc runs over one line, lacks its link, or is missing', () => {
    const at = api.find((entry) => entry.name === 'markMergeable')?.docs[0].at;
    const long = changed('markMergeable', (entry) => { entry.docs[0].text = `/**\n * Marks pages.\n * ${link(markAnchor)}\n */`; });
    expect(checkApiDocs(apiDoc, long, codes)).toEqual(
      [`node-ksm: markMergeable: its TSDoc (${at}) is 4 lines long: make it one, a summary and ${link(markAnchor)}`]);
    const bare = changed('markMergeable', (entry) => { entry.docs[0].text = '/** Marks pages. */'; });
    expect(checkApiDocs(apiDoc, bare, codes)).toEqual([`node-ksm: markMergeable: its TSDoc (${at}) has no link to its section: ${link(markAnchor)}`]);
    const none = changed('markMergeable', (entry) => { entry.docs = []; });
    expect(checkApiDocs(apiDoc, none, codes)).toEqual(
      [`node-ksm: markMergeable has no TSDoc: give it one line, a summary and ${link(markAnchor)}`]);
  });

  it('allows tag lines after the one line', () => {
    const tagged = changed('markMergeable', (entry) => {
      entry.docs[0].text = `/**\n * Marks pages: ${link(markAnchor)}\n * @deprecated Use allocMergeable.\n */`;
    });
    expect(checkApiDocs(apiDoc, tagged, codes)).toEqual([]);
  });

  it('fails when a TSDoc link names no heading, or another section than its own', () => {
    const at = api.find((entry) => entry.name === 'markMergeable')?.docs[0].at;
    const renamed = apiDoc.replace('### `markMergeable(view, options?)', '### `markMergeable(view, opts?)');
    expect(renamed).not.toBe(apiDoc);
    expect(checkApiDocs(renamed, api, codes)).toEqual([`node-ksm: markMergeable: its TSDoc (${at}) links to #${markAnchor}, ` +
      `not a heading of docs/api.md: ${link('markmergeableview-opts-advisedrange')}`]);
    const elsewhere = changed('markMergeable', (entry) => { entry.docs[0].text = `/** Marks pages: ${link('advisedrange')} */`; });
    expect(checkApiDocs(apiDoc, elsewhere, codes)).toEqual(
      [`node-ksm: markMergeable: its TSDoc (${at}) links to #advisedrange, not to its section: ${link(markAnchor)}`]);
  });

  it('fails when a method of ksmd lacks its link, or a member of an exported type has TSDoc', () => {
    const start = changed('ksmd', (entry) => { entry.memberDocs['ksmd.start'] = [{ at: 'lib/ksmd.ts:1', text: '/** Starts merging. */' }]; });
    expect(checkApiDocs(apiDoc, start, codes)).toEqual(['node-ksm: ksmd.start: its TSDoc (lib/ksmd.ts:1) has no link to its section: ' +
      link('ksmdstart-number-ksmdstop-number-ksmdunmergeall-number')]);
    const member = changed('AdvisedRange', (entry) => { entry.memberDocs.start = [{ at: 'lib/advise.ts:1', text: '/** The first page. */' }]; });
    expect(checkApiDocs(apiDoc, member, codes)).toEqual(
      ['node-ksm: AdvisedRange.start: its TSDoc (lib/advise.ts:1) says what docs/api.md says, in the section "`AdvisedRange`": remove it']);
  });
});

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
      else if (anchor && !checker.headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
