// Capability negotiation into a WireContext.
import assert from 'node:assert/strict';
import { parseAsn } from '../../../bgp/types.ts';
import { negotiate, type Capability } from '../../../bgp/wire/index.ts';

const mp4: Capability = { kind: 'multiprotocol', afi: 1, safi: 1 };
const mp6: Capability = { kind: 'multiprotocol', afi: 2, safi: 1 };
const as4: Capability = { kind: 'four-octet-as', asn: parseAsn(65001) };

describe('bgp/wire negotiate', () => {
  it('intersects families; no MP capability means IPv4 unicast only (RFC 4760 §8)', () => {
    assert.deepStrictEqual([...negotiate([mp4, mp6], [mp6]).families], ['ipv6-unicast']);
    assert.deepStrictEqual([...negotiate([mp4, mp6], []).families], ['ipv4-unicast']);
    assert.deepStrictEqual([...negotiate([mp6], []).families], []);
  });

  it('needs 4-octet AS on both sides', () => {
    assert.equal(negotiate([as4], [as4]).context.fourOctetAs, true);
    assert.equal(negotiate([as4], []).context.fourOctetAs, false);
  });

  it('derives ADD-PATH directions per family (RFC 7911)', () => {
    const local: Capability[] = [mp4, mp6, { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 'both' }, { afi: 2, safi: 1, mode: 'receive' }] }];
    const remote: Capability[] = [mp4, mp6, { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 'receive' }, { afi: 2, safi: 1, mode: 'both' }] }];
    const { context } = negotiate(local, remote);
    assert.deepStrictEqual([...context.addPathTx], ['ipv4-unicast']);
    assert.deepStrictEqual([...context.addPathRx], ['ipv6-unicast']);
  });

  it('extended messages: accept if we advertised, send only if both did (RFC 8654)', () => {
    const ext: Capability = { kind: 'extended-message' };
    assert.deepStrictEqual(
      [negotiate([ext], []).context.extendedMessageRx, negotiate([ext], []).context.extendedMessageTx],
      [true, false],
    );
    assert.equal(negotiate([ext], [ext]).context.extendedMessageTx, true);
    assert.equal(negotiate([], [ext]).context.extendedMessageTx, false);
  });

  it('extended next hop from what the peer accepts (RFC 8950)', () => {
    const enh: Capability = { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] };
    assert.deepStrictEqual([...negotiate([], [enh]).context.extendedNextHop], ['ipv4-unicast']);
    assert.deepStrictEqual([...negotiate([enh], []).context.extendedNextHop], []);
  });

  it('route refresh, enhanced route refresh and graceful restart facts', () => {
    const gr: Capability = { kind: 'graceful-restart', restarting: false, notification: false, time: 120, families: [] };
    const n = negotiate([{ kind: 'enhanced-route-refresh' }], [{ kind: 'route-refresh-cisco' }, { kind: 'enhanced-route-refresh' }, gr]);
    assert.deepStrictEqual([n.routeRefresh, n.enhancedRouteRefresh, n.peerGracefulRestart, n.peerLongLivedGracefulRestart], [true, true, gr, null]);
    assert.equal(negotiate([], []).routeRefresh, false);
  });
});
