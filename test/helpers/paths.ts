// Where the tests find the package and their fixtures.
import path from 'node:path';

export const packageRoot = path.resolve(__dirname, '..', '..');

/** The path of a file in test/fixtures. */
export function fixture(name: string): string {
  return path.join(packageRoot, 'test', 'fixtures', name);
}
