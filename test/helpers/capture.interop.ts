// Capture tool against real daemons (interop tier, root): re-recording the
// committed `ebgp-dual` scenario with BIRD, FRR and GoBGP yields the same
// messages (type and length; link-local next hops may differ in value, not
// in size) as the committed fixtures; and ExaBGP's generic attributes reach
// the wire verbatim, which is how malformed-UPDATE tests inject raw
// attribute bytes (RFC 4271 §4.3 layout: flags, type, length, value); BIRD's
// first-UPDATE stall is bounded by the wake-up helper; and
// in active mode the tool is a hand-written raw peer: BIRD answers its
// malformed UPDATE with NOTIFICATION UPDATE Message Error / Malformed
// Attribute List (RFC 4271 §6.3, RFC 7606 §4).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitMessages, startCapture } from './capture.ts';
import type { CapturedMessage } from './capture.ts';
import { CAPTURE_DIR, SCENARIOS, record } from './capture-scenarios.ts';
import { Lab } from './netns.ts';
import { Bird } from './peers/bird.ts';
import { Exabgp } from './peers/exabgp.ts';

/** Order-insensitive signature: daemons may reorder UPDATEs of different families between runs. */
function signature(ms: readonly CapturedMessage[]): string[] {
  return ms.map((m) => `${m.typeName}/${m.length}${m.note === undefined ? '' : `/${m.note}`}`).sort();
}

describe('capture tool with real daemons', function () {
  this.timeout(90_000);
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  it('re-records ebgp-dual from BIRD, FRR and GoBGP identically to the committed captures', async function () {
    const sc = SCENARIOS.find((s) => s.name === 'ebgp-dual');
    assert.ok(sc !== undefined);
    const out = mkdtempSync(join(tmpdir(), 'podnet-capture-'));
    try {
      const kinds = ['bird', 'frr', 'gobgp'] as const;
      const got = await Promise.all(kinds.map((k) => record(k, sc, out)));
      for (const [i, k] of kinds.entries()) {
        const committed = JSON.parse(readFileSync(join(CAPTURE_DIR, `${k}-ebgp-dual.json`), 'utf8')) as { messages: CapturedMessage[] };
        assert.deepEqual(signature(got[i] ?? []), signature(committed.messages), `${k}: messages differ from the committed capture`);
        const bytes = readFileSync(join(out, `${k}-ebgp-dual.bin`));
        assert.equal(splitMessages(bytes).length, got[i]?.length);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("BIRD's ~3 s first-UPDATE stall towards a silent peer is bounded by the harness's wake-up helper", async function () {
    const sc = SCENARIOS.find((s) => s.name === 'ebgp-dual');
    assert.ok(sc !== undefined);
    const out = mkdtempSync(join(tmpdir(), 'podnet-capture-'));
    try {
      const firstUpdate = (ms: readonly CapturedMessage[]): number => {
        const ka = ms.find((m) => m.typeName === 'KEEPALIVE');
        const up = ms.find((m) => m.typeName === 'UPDATE');
        assert.ok(ka !== undefined && up !== undefined);
        return up.tMs - ka.tMs;
      };
      const committed = JSON.parse(readFileSync(join(CAPTURE_DIR, 'bird-ebgp-dual.json'), 'utf8')) as { messages: CapturedMessage[] };
      assert.ok(firstUpdate(committed.messages) > 2_500, 'the committed capture shows the stall');
      const woken = await record('bird', sc, out, { birdWake: true });
      assert.ok(firstUpdate(woken) < 1_000, `first UPDATE ${firstUpdate(woken)} ms after the KEEPALIVE`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('as an active raw peer, sends malformed bytes and records the NOTIFICATION they cause', async function () {
    const lab = await Lab.create();
    let bird: Bird | undefined;
    try {
      const d = await lab.addNamespace('b');
      const c = await lab.addNamespace('c');
      await lab.veth({ ns: d, ifname: 'eth0', addresses: ['198.18.0.1/30'] }, { ns: c, ifname: 'eth0', addresses: ['198.18.0.2/30'] });
      bird = await Bird.start({ ns: d, routerId: '198.18.0.1', asn: 65001, neighbors: [{ address: '198.18.0.2', asn: 65000, passive: true }] });
      const peer = await startCapture(c, { listen: '198.18.0.2', connect: '198.18.0.1', asn: 65000, routerId: '198.18.0.2', families: ['ipv4'], out: join(lab.dir, 'raw.bin') });
      await bird.waitEstablished('198.18.0.2');
      // UPDATE whose Total Path Attribute Length (0x00ff) runs past the end of the message.
      peer.send(Buffer.from(`${'ff'.repeat(16)}001b02 0000 00ff 40010100`.replace(/ /g, ''), 'hex'));
      const bytes = await peer.waitClosed();
      const notif = splitMessages(bytes).find((m) => m.readUInt8(18) === 3);
      assert.ok(notif !== undefined, 'BIRD sent no NOTIFICATION');
      assert.deepEqual([notif.readUInt8(19), notif.readUInt8(20)], [3, 1], `NOTIFICATION ${notif.toString('hex')}`);
    } finally {
      await bird?.stop();
      await lab.teardown();
    }
  });

  it('ExaBGP sends generic (raw) attributes verbatim', async function () {
    const lab = await Lab.create();
    let x: Exabgp | undefined;
    try {
      const d = await lab.addNamespace('x');
      const c = await lab.addNamespace('c');
      await lab.veth({ ns: d, ifname: 'eth0', addresses: ['198.18.0.1/30'] }, { ns: c, ifname: 'eth0', addresses: ['198.18.0.2/30'] });
      const cap = await startCapture(c, { listen: '198.18.0.2', asn: 65000, routerId: '198.18.0.2', families: ['ipv4'], out: join(lab.dir, 'raw.bin') });
      x = await Exabgp.start({ ns: d, routerId: '198.18.0.1', asn: 65001, listenAddress: '198.18.0.1', neighbors: [{ address: '198.18.0.2', asn: 65000 }] });
      await x.waitEstablished('198.18.0.2');
      await cap.waitMessages('KEEPALIVE', (ms) => ms.some((m) => m.typeName === 'KEEPALIVE'));
      // An unknown optional transitive attribute and a MED of 3 octets (malformed: RFC 7606 §7.4).
      x.announceRaw('10.244.9.0/24', [
        { code: 0xf0, flags: 0xc0, hex: 'deadbeef' },
        { code: 0x04, flags: 0x80, hex: '000001' },
      ]);
      const ms = await cap.waitMessages('the raw UPDATE', (list) => list.some((m) => m.typeName === 'UPDATE' && m.note === undefined));
      const bytes = await cap.stop();
      const upd = ms.find((m) => m.typeName === 'UPDATE' && m.note === undefined);
      assert.ok(upd !== undefined);
      const hex = bytes.subarray(upd.offset, upd.offset + upd.length).toString('hex');
      assert.ok(hex.includes('c0f004deadbeef'), `unknown attribute not verbatim in ${hex}`);
      assert.ok(hex.includes('800403000001'), `3-octet MED not verbatim in ${hex}`);
      assert.ok(hex.endsWith('180af409'), `NLRI 10.244.9.0/24 not at the end of ${hex}`);
    } finally {
      await x?.stop();
      await lab.teardown();
    }
  });
});
