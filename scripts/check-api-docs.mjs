// Checks docs/api.md against what the package exports, so the reference cannot drift from the
// types: every export of every entry point needs a heading that names it, every member of an
// exported interface, class or object needs a mention in that heading's section, and every
// `ERR_*` code the library sets needs a mention somewhere. Run: node scripts/check-api-docs.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const apiDocPath = path.join(root, 'docs', 'api.md');
// The entry points a user can import, and the source each is built from.
const entryPoints = { 'node-ksm': 'lib/index.ts', 'node-ksm/metrics': 'lib/metrics.ts' };

/** @param {ts.Symbol} symbol */
function isInternal(symbol) {
  return symbol.getJsDocTags().some((tag) => tag.name === 'internal');
}

/** @typedef {{ name: string, from: string, members: string[] }} ApiEntry */

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
      const declaration = symbol.declarations?.[0];
      /** @type {string[]} */
      let members = [];
      if (declaration && (ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration))) {
        const type = checker.getDeclaredTypeOfSymbol(symbol);
        // Members declared here; inherited ones belong to the section of the type they come from.
        members = type.getProperties().filter((member) => {
          const own = member.declarations?.some((d) => symbol.declarations?.includes(/** @type {ts.Declaration} */ (d.parent)));
          const modifiers = member.declarations?.flatMap((d) => ts.getCombinedModifierFlags(d)) ?? [];
          return own && !isInternal(member) && !modifiers.some((m) => m & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
        }).map((member) => member.getName());
      } else if (declaration && ts.isVariableDeclaration(declaration)) {
        const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
        if (type.getCallSignatures().length === 0) {
          members = type.getProperties().filter((member) => !isInternal(member)).map((member) => `${name}.${member.getName()}`);
        }
      }
      api.push({ name, from, members });
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

/** The doc's headings, each with the text of its section (its subsections included). @param {string} markdown */
function sections(markdown) {
  const lines = markdown.split('\n');
  /** @type {{ level: number, title: string, index: number }[]} */
  const headings = [];
  let fenced = false;
  lines.forEach((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    const match = !fenced && /^(#{1,6})\s+(.*)$/.exec(line);
    if (match) headings.push({ level: match[1].length, title: match[2], index });
  });
  return headings.map((heading, i) => {
    const next = headings.slice(i + 1).find((h) => h.level <= heading.level);
    return { title: heading.title, text: lines.slice(heading.index, next ? next.index : lines.length).join('\n') };
  });
}

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// `name`, `name(...)`, `name: ...`, `name.member`, `name?` … in backticks: a word boundary after it.
/** @param {string} text @param {string} name */
const mentions = (text, name) => new RegExp('`' + escape(name) + '(?![A-Za-z0-9_$])').test(text);

/**
 * What docs/api.md lacks: one line per missing section or mention; empty when complete.
 * @param {string} markdown @param {ApiEntry[]} [api] @param {string[]} [codes]
 * @returns {string[]}
 */
export function checkApiDocs(markdown, api = exportedApi(), codes = errorCodes()) {
  const problems = [];
  const all = sections(markdown);
  for (const { name, from, members } of api) {
    const section = all.find((s) => mentions(s.title, name));
    if (!section) {
      problems.push(`${from}: export ${name} has no heading that names it (e.g. "### \`${name}\`")`);
      continue;
    }
    for (const member of members) {
      if (!mentions(section.text, member)) problems.push(`${from}: ${name}.${member.replace(`${name}.`, '')} is not mentioned in the section "${section.title}"`);
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
  console.log('docs/api.md documents every export.');
}
