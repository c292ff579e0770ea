import { redrawFrame } from './format.js';

/**
 * A frame redrawn in place on a terminal, fitted to its width. After a resize the terminal may
 * have rewrapped the old frame, so where it starts is unknown: the screen is cleared and the
 * frame drawn again from the top, at once rather than at the next refresh.
 */
export class Screen {
  private drawnRows = 0;
  private render: ((columns: number) => string[]) | undefined;
  private readonly onResize = () => {
    this.out.write('\x1b[H\x1b[2J');
    this.drawnRows = 0;
    this.redraw();
  };

  constructor(private readonly out: NodeJS.WriteStream) {
    out.on('resize', this.onResize);
  }

  /** Draws the lines render gives for the terminal's width, over the last frame. */
  draw(render: (columns: number) => string[]): void {
    this.render = render;
    this.redraw();
  }

  close(): void {
    this.out.off('resize', this.onResize);
  }

  private redraw(): void {
    if (!this.render) return;
    const columns = this.out.columns || 80;
    const { text, rows } = redrawFrame(this.render(columns),
      { columns, rows: this.out.rows || 24, previousRows: this.drawnRows });
    this.out.write(text);
    this.drawnRows = rows;
  }
}
