// Text for the terminal: sizes, tables, sparklines, escaping and redrawing.

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${bytes < 0 ? '-' : ''}${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatCount(value: number | undefined): string {
  return value === undefined ? '-' : value.toLocaleString('en-US');
}

/** Columns padded to their widest cell; `right` lists the columns to align right. */
export function table(header: string[], rows: string[][], right: number[] = []): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row
    .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
    .join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const BARS = '▁▂▃▄▅▆▇█';

/** The values as a line of bars scaled between their minimum and maximum. */
export function sparkline(values: number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const span = Math.max(...values) - min;
  return values.map((v) => BARS[span === 0 ? 0 : Math.round(((v - min) / span) * (BARS.length - 1))]).join('');
}

// DEL, C1 controls (0x9b is CSI on terminals that take 8-bit controls), and the bidi overrides
// and isolates that make a terminal show what follows reordered: what JSON.stringify leaves raw
// (it escapes only C0 controls, quotes and backslashes). With the C0 controls, every character a
// terminal could act on.
const RAW_IN_JSON = '\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE_IN_JSON = new RegExp(`[${RAW_IN_JSON}]`, 'g');
const UNSAFE = new RegExp(`[\\x00-\\x1f${RAW_IN_JSON}]`, 'g');

/**
 * Any user's text (a command line) made safe to print: every control character and bidi
 * override written out visibly (`\x1b`, `\u202e`), so no escape sequence reaches the
 * terminal. Escape first, then cut: a cut can then never leave half a sequence.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `JSON.stringify(value, null, indent)` with every character a terminal could act on written as a
 * JSON escape (`\u009b`): the same JSON to a parser, and nothing raw for a terminal showing it.
 */
export function jsonForTerminal(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The text cut to `width` characters, '…' in the last one where it was longer; whole code points. */
export function cut(text: string, width: number): string {
  if (text.length <= width) return text;
  const chars = [...text];
  if (chars.length <= width) return text;
  return width < 1 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

/** Each line of the text cut to `columns`, as cut does; with no width (not a terminal), the text whole. */
export function fitLines(text: string, columns: number | undefined): string {
  return columns === undefined ? text : text.split('\n').map((line) => cut(line, columns)).join('\n');
}

/**
 * What to write to a terminal to replace the frame drawn before (`previousRows` lines just
 * above the cursor) with these lines. Each is cut to the width, since a line that wrapped
 * would take two rows and the next redraw would go up too few, and erased before it is
 * written; whatever the last frame had below is erased too. At most `rows` - 1 lines: going up
 * stops at the top of the screen.
 */
export function redrawFrame(lines: string[], { columns, rows, previousRows }:
  { columns: number; rows: number; previousRows: number }): { text: string; rows: number } {
  const shown = lines.slice(0, Math.max(rows - 1, 1));
  const text = `${previousRows > 0 ? `\x1b[${previousRows}F` : '\r'}` +
    `${shown.map((line) => `\x1b[2K${cut(line, columns)}\n`).join('')}\x1b[J`;
  return { text, rows: shown.length };
}
