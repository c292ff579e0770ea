// Checks docs/api.md against what the package exports, and keeps it the one reference: every
// export of every entry point needs a heading that names it, every member of an exported
// interface, class or object needs a mention in that heading's section, and every `ERR_*` code
// the library sets needs a mention somewhere. The TSDoc of an export (and of each method of an
// exported object, such as ksmd.start) is one line linking to its section, and members of
// exported types carry none: what they mean is said once, in docs/api.md.
// Run: node scripts/check-api-docs.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const apiDocPath = path.join(root, 'docs', 'api.md');
// Absolute, since docs/ is not in the package: a relative link in dist/*.d.ts would lead nowhere.
export const apiDocUrl = 'https://github.com/node-ksm/node-ksm/blob/main/docs/api.md';
// The entry points a user can import, and the source each is built from.
const entryPoints = { 'node-ksm': 'lib/index.ts', 'node-ksm/metrics': 'lib/metrics.ts' };

/** @param {ts.Symbol} symbol */
function isInternal(symbol) {
  return symbol.getJsDocTags().some((tag) => tag.name === 'internal');
}

/** @typedef {{ at: string, text: string }} Doc A TSDoc block, and the file:line it starts on. */
/**
 * @typedef {{ name: string, from: string, members: string[], docs: Doc[], memberDocs: Record<string, Doc[]>,
 *   methods: boolean }} ApiEntry
 * `methods`: the members are an object's functions (`ksmd.start`), each with a heading of its own.
 */

/** The TSDoc blocks a declaration carries (a variable's are on its statement). @param {ts.Node} node @returns {Doc[]} */
function docsOf(node) {
  const source = node.getSourceFile();
  return ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).map((doc) => ({
    at: `${path.relative(root, source.fileName)}:${source.getLineAndCharacterOfPosition(doc.getStart()).line + 1}`,
    text: source.text.slice(doc.getStart(), doc.end),
  }));
}

/** Names a user can reach, with the members the docs must mention. @returns {ApiEntry[]} */
export function exportedApi() {
  const files = Object.values(entryPoints).map((file) => path.join(root, file));
  const program = ts.createProgram(files, { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, strict: true, types: ['node'] });
  const checker = program.getTypeChecker();
  /** @type {ApiEntry[]} */
  const api = [];
  for (const [from, file] of Object.entries(entryPoints)) {
    const source = /** @type {ts.SourceFile} */ (program.getSourceFile(path.join(root, file)));
    for (let symbol of checker.getExportsOfModule(/** @type {ts.Symbol} */ (checker.getSymbolAtLocation(source)))) {
      const name = symbol.getName();
      if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      if (isInternal(symbol)) continue;
      const declarations = symbol.declarations ?? [];
      const declaration = declarations[0];
      // An overloaded function's implementation is not what a user sees: its overloads are.
      const docs = declarations.filter((d) => !(ts.isFunctionDeclaration(d) && d.body && declarations.length > 1)).flatMap(docsOf);
      /** @type {ts.Symbol[]} */
      let members = [];
      let methods = false;
      if (declaration && (ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration))) {
        const type = checker.getDeclaredTypeOfSymbol(symbol);
        // Members declared here; inherited ones belong to the section of the type they come from.
        members = type.getProperties().filter((member) => {
          const own = member.declarations?.some((d) => declarations.includes(/** @type {ts.Declaration} */ (d.parent)));
          const modifiers = member.declarations?.flatMap((d) => ts.getCombinedModifierFlags(d)) ?? [];
          return own && !isInternal(member) && !modifiers.some((m) => m & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
        });
      } else if (declaration && ts.isVariableDeclaration(declaration)) {
        const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
        if (type.getCallSignatures().length === 0) {
          members = type.getProperties().filter((member) => !isInternal(member));
          methods = true;
        }
      }
      const memberName = (/** @type {ts.Symbol} */ member) => (methods ? `${name}.${member.getName()}` : member.getName());
      /** @type {Record<string, Doc[]>} */
      const memberDocs = {};
      for (const member of members) {
        memberDocs[memberName(member)] = (member.declarations ?? []).flatMap((d) => {
          // `{ settings }`: what a user sees is the TSDoc of the function it names.
          const value = ts.isShorthandPropertyAssignment(d) ? checker.getShorthandAssignmentValueSymbol(d) : undefined;
          return [...docsOf(d), ...(value?.declarations ?? []).flatMap(docsOf)];
        });
      }
      api.push({ name, from, members: members.map(memberName), docs, memberDocs, methods });
    }
  }
  return api;
}

/** Every `ERR_*` code the library's sources set, and every `NODE_KSM_*` variable they read. @returns {string[]} */
export function errorCodes() {
  /** @type {Set<string>} */
  const codes = new Set();
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) for (const [, code] of fs.readFileSync(file, 'utf8').matchAll(/\b(ERR_[A-Z_]*[A-Z]|NODE_KSM_[A-Z_]*[A-Z])\b/g)) codes.add(code);
    }
  };
  walk(path.join(root, 'lib'));
  return [...codes].sort();
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. @param {string} heading */
export function anchorOf(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/**
 * The headings outside code blocks, each with its anchor (GitHub numbers a repeated one: a, a-1).
 * @param {string} markdown
 */
function headings(markdown) {
  /** @type {{ level: number, title: string, index: number, anchor: string }[]} */
  const found = [];
  /** @type {Map<string, number>} */
  const seen = new Map();
  let fenced = false;
  markdown.split('\n').forEach((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    const match = !fenced && /^(#{1,6})\s+(.*)$/.exec(line);
    if (!match) return;
    const slug = anchorOf(match[2]);
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    found.push({ level: match[1].length, title: match[2], index, anchor: repeats === 0 ? slug : `${slug}-${repeats}` });
  });
  return found;
}

/** The anchors a link into the markdown can name. @param {string} markdown */
export const headingAnchors = (markdown) => new Set(headings(markdown).map((heading) => heading.anchor));

/** The doc's headings, each with the text of its section (its subsections included). @param {string} markdown */
function sections(markdown) {
  const lines = markdown.split('\n');
  const all = headings(markdown);
  return all.map((heading, i) => {
    const next = all.slice(i + 1).find((h) => h.level <= heading.level);
    return { title: heading.title, anchor: heading.anchor, text: lines.slice(heading.index, next ? next.index : lines.length).join('\n') };
  });
}

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// `name`, `name(...)`, `name: ...`, `name.member`, `name?` … in backticks: a word boundary after it.
/** @param {string} text @param {string} name */
const mentions = (text, name) => new RegExp('`' + escape(name) + '(?![A-Za-z0-9_$])').test(text);

/**
 * A TSDoc block's text before its first block tag (@internal, @deprecated), one entry a line.
 * @param {string} text
 */
function prose(text) {
  const lines = text.replace(/^\/\*\*/, '').replace(/\*\/$/, '').split('\n').map((line) => line.replace(/^\s*\*?/, '').trim());
  const tags = lines.findIndex((line) => line.startsWith('@'));
  return { lines: lines.slice(0, tags < 0 ? lines.length : tags).filter(Boolean), tagged: tags >= 0 };
}

const linkPattern = new RegExp(escape(apiDocUrl) + '#([^\\s)\\]>]*)', 'g');

/**
 * What is wrong with the TSDoc of `label` (an export, or a method of an exported object): it must be one
 * line (tag lines aside), a summary with a link to `anchor`, the heading of its section.
 * @param {string} label @param {Doc[]} docs @param {string} anchor @param {Set<string>} anchors @returns {string[]}
 */
function linkProblems(label, docs, anchor, anchors) {
  const wanted = `${apiDocUrl}#${anchor}`;
  if (docs.length === 0) return [`${label} has no TSDoc: give it one line, a summary and ${wanted}`];
  const problems = [];
  for (const { at, text } of docs) {
    const { lines, tagged } = prose(text);
    if (lines.length > 1 || (!tagged && text.includes('\n'))) {
      problems.push(`${label}: its TSDoc (${at}) is ${text.split('\n').length} lines long: make it one, a summary and ${wanted}`);
    }
  }
  const links = docs.flatMap(({ text }) => [...prose(text).lines.join(' ').matchAll(linkPattern)].map((match) => match[1]));
  const at = docs[0].at;
  if (links.length === 0) problems.push(`${label}: its TSDoc (${at}) has no link to its section: ${wanted}`);
  for (const link of links) {
    if (!anchors.has(link)) problems.push(`${label}: its TSDoc (${at}) links to #${link}, not a heading of docs/api.md: ${wanted}`);
    else if (link !== anchor) problems.push(`${label}: its TSDoc (${at}) links to #${link}, not to its section: ${wanted}`);
  }
  return problems;
}

/**
 * What docs/api.md lacks, and what the TSDoc says that belongs there: one line per problem; empty when
 * all is well.
 * @param {string} markdown @param {ApiEntry[]} [api] @param {string[]} [codes]
 * @returns {string[]}
 */
export function checkApiDocs(markdown, api = exportedApi(), codes = errorCodes()) {
  const problems = [];
  const all = sections(markdown);
  const anchors = headingAnchors(markdown);
  for (const { name, from, members, docs, memberDocs, methods } of api) {
    const section = all.find((s) => mentions(s.title, name));
    if (!section) {
      problems.push(`${from}: export ${name} has no heading that names it (e.g. "### \`${name}\`")`);
      continue;
    }
    problems.push(...linkProblems(`${from}: ${name}`, docs, section.anchor, anchors));
    for (const member of members) {
      const label = `${from}: ${name}.${member.replace(`${name}.`, '')}`;
      if (!mentions(section.text, member)) problems.push(`${label} is not mentioned in the section "${section.title}"`);
      if (methods) {
        const own = all.find((s) => mentions(s.title, member)) ?? section;
        problems.push(...linkProblems(label, memberDocs[member] ?? [], own.anchor, anchors));
        continue;
      }
      for (const { at } of (memberDocs[member] ?? []).filter(({ text }) => prose(text).lines.length > 0)) {
        problems.push(`${label}: its TSDoc (${at}) says what docs/api.md says, in the section "${section.title}": remove it`);
      }
    }
  }
  for (const code of codes) {
    if (!mentions(markdown, code)) problems.push(`${code.startsWith('ERR_') ? 'error code' : 'environment variable'} ${code} is not documented`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkApiDocs(fs.readFileSync(apiDocPath, 'utf8'));
  for (const problem of problems) console.error(`docs/api.md: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log('docs/api.md documents every export, and each TSDoc links to its section.');
}
