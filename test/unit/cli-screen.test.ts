// `ksm watch` on a terminal: frames redrawn in place, and from the top after a resize.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Screen } from '../../lib/cli/screen.js';

/** What Screen uses of a terminal's stream: write, columns, rows and 'resize'. */
function terminal(columns: number, rows = 24) {
  const out = Object.assign(new EventEmitter(), { columns, rows, written: [] as string[],
    write(text: string) {
      out.written.push(text);
      return true;
    } });
  return out;
}

const visibleLines = (text: string) => text.replace(/\x1b\[\d*[A-Za-z]/g, '').replace(/\r/g, '').split('\n').slice(0, -1);

describe('Screen', () => {
  it('draws each frame over the last, fitted to the width render is given', () => {
    const out = terminal(20);
    const screen = new Screen(out as unknown as NodeJS.WriteStream);
    const widths: number[] = [];
    screen.draw((columns) => {
      widths.push(columns);
      return ['x'.repeat(30), 'short'];
    });
    screen.draw(() => ['second']);
    expect(widths).toEqual([20]);
    expect(visibleLines(out.written[0])).toEqual([`${'x'.repeat(19)}…`, 'short']);
    expect(out.written[1].startsWith('\x1b[2F')).toBe(true);
    expect(visibleLines(out.written[1])).toEqual(['second']);
    screen.close();
  });

  it('on a resize clears the screen and redraws the last frame at once, at the new width', () => {
    const out = terminal(80);
    const screen = new Screen(out as unknown as NodeJS.WriteStream);
    screen.draw((columns) => ['y'.repeat(columns + 5), `${columns} wide`]);
    out.columns = 40;
    out.emit('resize');
    expect(out.written.slice(1, 2)).toEqual(['\x1b[H\x1b[2J']);
    expect(out.written[2]).not.toMatch(/\x1b\[\d+F/); // from the top, not up over rows the terminal may have rewrapped
    expect(visibleLines(out.written[2])).toEqual([`${'y'.repeat(39)}…`, '40 wide']);
    screen.close();
    expect(out.listenerCount('resize')).toBe(0);
  });
});
