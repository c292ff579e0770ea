// What Node was asked at start-up that code replacing its Buffer factories must honour. Node
// gives no public way to read its options back, so they are read where Node read them: its
// command line (process.execArgv) and NODE_OPTIONS, the command line winning.

/** NODE_OPTIONS split as Node splits it: on white space, with double quotes grouping. */
export function splitNodeOptions(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '\\' && i + 1 < text.length) {
      word += text[++i];
    } else if (char === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(char)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += char;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

/**
 * Whether Node zero-fills allocUnsafe and allocUnsafeSlow: `--zero-fill-buffers` on its command
 * line or in NODE_OPTIONS (Node also takes `_` for `-`), unless a later `--no-zero-fill-buffers`
 * turned it off again.
 */
export function zeroFillBuffers(execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  let on = false;
  for (const word of [...splitNodeOptions(nodeOptions), ...execArgv]) {
    const flag = word.replaceAll('_', '-');
    if (flag === '--zero-fill-buffers') on = true;
    else if (flag === '--no-zero-fill-buffers') on = false;
  }
  return on;
}
