// check:imports must fail on each kind of wrong import and pass on the repository.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { violation } from '../../scripts/check-imports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts', 'check-imports.ts');

function runOn(tree: Record<string, string>): { code: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-imports-'));
  try {
    for (const [path, text] of Object.entries(tree)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(process.execPath, [script, '--root', dir], { encoding: 'utf8' });
    return { code: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('check:imports', () => {
  it('passes on the repository itself', () => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('fails on a controller importing another controller', () => {
    const r = runOn({
      'firewall/controller.ts': "import { x } from '../services/desired.ts';\nexport const y = x;\n",
      'services/desired.ts': 'export const x = 1;\n',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /firewall\/controller\.ts: imports '\.\.\/services\/desired\.ts'.*no controller imports another controller/);
  });

  it('fails on a deep import into bgp/ and on the platform importing bgp/', () => {
    const r = runOn({
      'routes/controller.ts': "import type { Rib } from '../bgp/rib/locrib.ts';\n",
      'src/kernel/netlink.ts': "export * from '../../bgp/index.ts';\n",
      'bgp/index.ts': 'export {};\n',
      'bgp/rib/locrib.ts': 'export type Rib = 1;\n',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /routes\/controller\.ts.*only bgp\/index\.ts may be imported/);
    assert.match(r.stderr, /src\/kernel\/netlink\.ts.*the platform .* is a leaf/);
  });

  it('fails on production code importing test/ and on bgp/ importing the platform', () => {
    const r = runOn({
      'src/main.ts': "import '../test/fixtures/x.ts';\n",
      'bgp/speaker.ts': "const m = await import('../src/obs/log.ts');\n",
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /src\/main\.ts.*production code never imports test\//);
    assert.match(r.stderr, /bgp\/speaker\.ts.*bgp\/ is a leaf/);
  });

  it('allows the imports the architecture allows', () => {
    assert.equal(violation('routes/controller.ts', 'bgp/index.ts'), null);
    assert.equal(violation('firewall/apply.ts', 'src/kernel/ipset.ts'), null);
    assert.equal(violation('src/main.ts', 'routes/controller.ts'), null);
    assert.equal(violation('src/cli/neighbor.ts', 'src/api/client.ts'), null);
    assert.equal(violation('test/bgp/wire/open.test.ts', 'bgp/wire/open.ts'), null);
    assert.notEqual(violation('services/controller.ts', 'bgp/index.ts'), null);
    assert.notEqual(violation('src/cli/x.ts', 'src/k8s/cache.ts'), null);
  });
});
