// Golden files for the services tests: compare rendered text with a fixture
// under test/fixtures/services/, or rewrite the fixture when UPDATE_GOLDEN=1.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = fileURLToPath(new URL('../fixtures/services/', import.meta.url));

export function assertGolden(name: string, actual: string): void {
  const file = join(fixturesDir, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `missing golden ${file}: run with UPDATE_GOLDEN=1 and review the diff`);
  assert.equal(actual, readFileSync(file, 'utf8'), `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}
