// e2e: a node's podnetd going away, in two labs built side by side (2 nodes,
// BIRD ToR, one pod per node).
// - With graceful restart (the DaemonSet's flags): node2's agent is stopped
//   the way a rolling update stops it (SIGTERM) and started again. A ping
//   from node1's pod to node2's pod runs through it all and loses nothing;
//   node1's kernel route to node2's podCIDR, the ToR's route to it and
//   node2's own kernel route to node1's podCIDR are there at every sample;
//   the new podnetd logs that it kept the previous run's kernel routes and
//   ended the deferral on its peers' End-of-RIB, not on the timer.
// - Without it (`lab up --no-graceful-restart`): node2's agent is killed
//   (SIGKILL) and its routes are withdrawn from node1 and the ToR; started
//   again, they come back and traffic flows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labDown, loadState, run, runIn, sweepPrefix, waitFor } from '../../../src/lab/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const stateRoot = join(tmpdir(), 'podnet-lab-e2e');
const podnet = join(root, 'src', 'bin', 'podnet.ts');

function lab(args: readonly string[]): ReturnType<typeof run> {
  return run(process.execPath, [podnet, 'lab', '--state-dir', stateRoot, ...args], { timeoutMs: 120_000 });
}

const NODE2_PODS = '10.244.2.0/24';
const NODE1_PODS = '10.244.1.0/24';

async function hasRoute(netns: string, prefix: string): Promise<boolean> {
  return (await run('ip', ['-n', netns, 'route', 'show', prefix])).stdout.trim() !== '';
}

/** The ToR's (BIRD's) best route for a prefix, as birdc prints it, or ''. */
async function torRoute(name: string, prefix: string): Promise<string> {
  const st = loadState(join(stateRoot, name));
  const ctl = st?.tor.controlSocket ?? '';
  const r = await runIn(`pl-${name}-tor`, 'birdc', ['-s', ctl, 'show', 'route', prefix], { allowFail: true });
  return r.stdout.includes(prefix) ? r.stdout : '';
}

describe('podnet lab: a node agent restart (e2e)', function () {
  this.timeout(240_000);
  const gr = `e${randomBytes(2).toString('hex')}`;
  const nogr = `e${randomBytes(2).toString('hex')}`;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    await Promise.all([
      lab(['up', '--name', gr, '--nodes', '2', '--tor', 'bird', '--pods', '1', '--no-check']),
      lab(['up', '--name', nogr, '--nodes', '2', '--tor', 'bird', '--pods', '1', '--no-check', '--no-graceful-restart']),
    ]);
    for (const name of [gr, nogr]) {
      await waitFor(`${name}: node1 has node2's pod route and the ToR has both`, async () => (await hasRoute(`pl-${name}-node1`, NODE2_PODS)) && (await torRoute(name, NODE2_PODS)) !== '', { timeoutMs: 30_000 });
      await waitFor(`${name}: node2 has node1's pod route`, () => hasRoute(`pl-${name}-node2`, NODE1_PODS), { timeoutMs: 30_000 });
    }
  });

  after(async function () {
    for (const name of [gr, nogr]) {
      await labDown(stateRoot, name).catch(() => undefined);
      await sweepPrefix(`pl-${name}-`);
    }
  });

  const pods = (name: string) => {
    const st = loadState(join(stateRoot, name));
    const a = st?.pods.find((p) => p.name === 'web-node1-1');
    const b = st?.pods.find((p) => p.name === 'web-node2-1');
    assert.ok(a !== undefined && b !== undefined);
    return { a, b };
  };

  it('graceful restart: node2 restarting (SIGTERM, start) loses no packet and no route anywhere', async function () {
    const { a, b } = pods(gr);
    await waitFor('cross-node ping', async () => (await runIn(a.netns, 'ping', ['-c', '1', '-W', '1', b.ips[0] ?? ''], { allowFail: true })).code === 0, { timeoutMs: 10_000 });
    // 10 s of pings every 50 ms across the restart
    const ping = runIn(a.netns, 'ping', ['-i', '0.05', '-c', '200', '-W', '1', '-q', b.ips[0] ?? ''], { allowFail: true, timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    const missing: string[] = [];
    const sample = async (when: string): Promise<void> => {
      if (!(await hasRoute(`pl-${gr}-node1`, NODE2_PODS))) missing.push(`node1 -> ${NODE2_PODS} ${when}`);
      if (!(await hasRoute(`pl-${gr}-node2`, NODE1_PODS))) missing.push(`node2 -> ${NODE1_PODS} ${when}`);
      if ((await torRoute(gr, NODE2_PODS)) === '') missing.push(`ToR -> ${NODE2_PODS} ${when}`);
    };
    const stop = await lab(['agent', 'stop', 'node2', '--name', gr]);
    assert.match(stop.stdout, /podnetd on node2 stopped/);
    const stoppedAt = Date.now();
    while (Date.now() - stoppedAt < 3_000) {
      await sample(`${Date.now() - stoppedAt} ms after the stop`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await lab(['agent', 'start', 'node2', '--name', gr]);
    const log = join(stateRoot, gr, 'nodes', 'node2', 'podnetd.log');
    const logText = (): string => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor('the new podnetd ends the deferral on End-of-RIB', () => logText().includes('every peer sent End-of-RIB'), { timeoutMs: 40_000, intervalMs: 200 }).catch((e: unknown) =>
      assert.fail(`${String(e)}\n${logText().slice(-3000)}`),
    );
    await sample('after the restart');
    assert.deepEqual(missing, [], 'every route stayed');
    assert.match(logText(), /graceful restart: keeping the kernel routes of the previous run/);
    const out = (await ping).stdout;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m !== null, out);
    // eslint-disable-next-line no-console
    console.log(`      ping across the restart: ${m[2]}/${m[1]} answered`);
    assert.equal(m[2], m[1], `no packet lost: ${out}`);
  });

  it('without graceful restart: a killed agent\'s routes are withdrawn from node1 and the ToR, and come back when it starts', async function () {
    const { a, b } = pods(nogr);
    await lab(['agent', 'kill', 'node2', '--name', nogr]);
    await waitFor("node1 withdrew node2's pod route", async () => !(await hasRoute(`pl-${nogr}-node1`, NODE2_PODS)), { timeoutMs: 15_000, intervalMs: 100 });
    await waitFor("the ToR withdrew node2's pod route", async () => (await torRoute(nogr, NODE2_PODS)) === '', { timeoutMs: 15_000, intervalMs: 100 });
    await lab(['agent', 'start', 'node2', '--name', nogr]);
    await waitFor("node1 has node2's pod route again", () => hasRoute(`pl-${nogr}-node1`, NODE2_PODS), { timeoutMs: 30_000, intervalMs: 100 });
    await waitFor('cross-node ping again', async () => (await runIn(a.netns, 'ping', ['-c', '1', '-W', '1', b.ips[0] ?? ''], { allowFail: true })).code === 0, { timeoutMs: 10_000 });
  });
});
