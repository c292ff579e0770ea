// What `ksm` prints on a terminal: other users' text escaped, cut to the width, frames redrawn.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut, escapeForTerminal, fitLines, jsonForTerminal, redrawFrame } from '../../lib/cli/format.js';

// What must never reach a terminal from another user's text.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const codes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
// Text dense in what matters here: controls, Latin-1, the bidi block, and astral characters.
const anyText = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x20ff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('😀', '\u{10ffff}')) });

describe('jsonForTerminal (--json)', () => {
  it('writes every character a terminal could act on as a JSON escape, and parses back to the same value', () => {
    const command = `node app.js \u009b31m \u202etxt.exe \u2066x\u2069 \x1b[2J \x7f \u200e\u061c café 😀`;
    const json = jsonForTerminal({ processes: [{ command }] }, 2);
    expect(json.replace(/\n/g, '')).not.toMatch(UNSAFE);
    expect(json).toContain('\\u009b31m \\u202etxt.exe \\u2066x\\u2069 \\u001b[2J \\u007f \\u200e\\u061c café 😀');
    expect(JSON.parse(json)).toEqual({ processes: [{ command }] });
    expect(jsonForTerminal({ a: 1 })).toBe('{"a":1}');
  });

  it('holds for any text: nothing unsafe but the newlines of its own indentation, and the value round-trips', () => {
    fc.assert(fc.property(anyText, (text) => {
      const json = jsonForTerminal({ text }, 2);
      expect(json.replace(/\n/g, '')).not.toMatch(UNSAFE);
      expect(JSON.parse(json)).toEqual({ text });
    }), { numRuns: 2000 });
  });
});

describe('escapeForTerminal', () => {
  it.each([
    ['an OSC title change', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['a screen clear', '\x1b[2J', '\\x1b[2J'],
    ['an OSC 52 clipboard write', '\x1b]52;c;ZXZpbA==\x07', '\\x1b]52;c;ZXZpbA==\\x07'],
    ['an 8-bit CSI (C1)', '\u009b31m', '\\x9b31m'],
    ['a right-to-left override', '\u202etxt.exe', '\\u202etxt.exe'],
    ['an isolate pair', '\u2066x\u2069', '\\u2066x\\u2069'],
    ['the Trojan Source marks (LRM, RLM, ALM)', '\u200ea\u200fb\u061c', '\\u200ea\\u200fb\\u061c'],
    ['a newline, a tab, NUL and DEL', 'a\nb\tc\0d\x7f', 'a\\x0ab\\x09c\\x00d\\x7f'],
  ])('writes %s out visibly', (_what, text, shown) => {
    expect(escapeForTerminal(text)).toBe(shown);
  });

  it('escapes every C0 control, DEL, every C1 control, every bidi override and isolate, and the bidi marks', () => {
    const unsafe = [...codes(0x00, 0x1f), 0x7f, ...codes(0x80, 0x9f), 0x61c, 0x200e, 0x200f, ...codes(0x202a, 0x202e),
      ...codes(0x2066, 0x2069)];
    for (const code of unsafe) {
      const escaped = escapeForTerminal(`<${String.fromCharCode(code)}>`);
      expect(escaped).toBe(code < 0x100 ? `<\\x${code.toString(16).padStart(2, '0')}>` : `<\\u${code.toString(16).padStart(4, '0')}>`);
    }
  });

  it('leaves printable text alone: ASCII, accents, CJK, emoji, the characters around the escaped ranges', () => {
    const text = ' ~node --max-old-space-size=4096 café 日本語 😀 \u00a0\u00ff\u2029\u202f\u2065\u206a';
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('escaped and then cut, any text holds nothing unsafe and fits the width', () => {
    fc.assert(fc.property(anyText, fc.integer({ min: 0, max: 80 }), (text, width) => {
      const shown = cut(escapeForTerminal(text), width);
      expect(shown).not.toMatch(UNSAFE);
      expect([...shown].length).toBeLessThanOrEqual(width);
    }), { numRuns: 2000 });
  });
});

describe('cut', () => {
  it('leaves text that fits as it is', () => {
    expect(cut('abc', 3)).toBe('abc');
    expect(cut('', 0)).toBe('');
  });

  it('cuts longer text to the width, its last character an ellipsis', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abcdef', 1)).toBe('…');
    expect(cut('abcdef', 0)).toBe('');
  });

  it('counts and cuts whole code points: a surrogate pair is never split', () => {
    expect(cut('😀😀😀😀', 4)).toBe('😀😀😀😀');
    expect(cut('😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('fitLines', () => {
  it('cuts each line to the width, and leaves the text whole without one', () => {
    expect(fitLines('abcdef\nab\n\nabcd', 4)).toBe('abc…\nab\n\nabcd');
    expect(fitLines('abcdef\nab', undefined)).toBe('abcdef\nab');
  });
});

describe('redrawFrame', () => {
  const ERASE_LINE = '\x1b[2K';
  const lines = ['a'.repeat(100), 'short', 'x'.repeat(80)];

  it('draws the first frame from the start of the line, each line erased first and cut to the width', () => {
    const { text, rows } = redrawFrame(lines, { columns: 80, rows: 24, previousRows: 0 });
    expect(rows).toBe(3);
    expect(text.startsWith('\r')).toBe(true);
    expect(text).not.toMatch(/\x1b\[\d+F/);
    expect(text.endsWith('\x1b[J')).toBe(true);
    const drawn = text.slice(1, -'\x1b[J'.length).split('\n');
    expect(drawn.pop()).toBe('');
    expect(drawn).toEqual([`${ERASE_LINE}${'a'.repeat(79)}…`, `${ERASE_LINE}short`, `${ERASE_LINE}${'x'.repeat(80)}`]);
  });

  it('goes up over the rows of the last frame, and erases below when the new one is shorter', () => {
    const { text } = redrawFrame(['one'], { columns: 80, rows: 24, previousRows: 7 });
    expect(text).toBe(`\x1b[7F${ERASE_LINE}one\n\x1b[J`);
  });

  it('draws at most rows - 1 lines, since going up stops at the top of the screen', () => {
    const { text, rows } = redrawFrame(['1', '2', '3', '4'], { columns: 80, rows: 3, previousRows: 0 });
    expect(rows).toBe(2);
    expect(text).toBe(`\r${ERASE_LINE}1\n${ERASE_LINE}2\n\x1b[J`);
  });

  it('fits every line of any frame to any width', () => {
    fc.assert(fc.property(fc.array(anyText), fc.integer({ min: 1, max: 300 }), (frame, columns) => {
      const { text } = redrawFrame(frame.map(escapeForTerminal), { columns, rows: 100, previousRows: 0 });
      const visible = text.replace(/\x1b\[\d*[A-Za-z]/g, '').replace('\r', '').split('\n');
      for (const line of visible) expect([...line].length).toBeLessThanOrEqual(columns);
    }));
  });
});
