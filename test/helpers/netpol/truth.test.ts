// The NetworkPolicy model's truth table and its rendering: peers match by
// namespace and/or pod, later expectations override earlier ones, loopback,
// and the upstream-style matrix with '*' on differing cells.
import assert from 'node:assert/strict';
import { Truth, differences, renderMatrix } from './truth.ts';
import type { ModelPod } from './truth.ts';

const pods: ModelPod[] = ['x', 'y'].flatMap((ns) => ['a', 'b'].map((name) => ({ ns, name })));

describe('netpol truth table', function () {
  it('starts at the default and applies peer, ingress, egress and loopback expectations in order', function () {
    const t = new Truth(pods, true).expectAllIngress({ ns: 'x' }, false).expect({ ns: 'y', pod: 'b' }, { ns: 'x', pod: 'a' }, true).allowLoopback();
    // rows: from x/a x/b y/a y/b; columns: to x/a x/b y/a y/b
    assert.deepEqual(t.cells(), [
      [true, false, true, true],
      [false, true, true, true],
      [false, false, true, true],
      [true, false, true, true],
    ]);
    assert.equal(t.get({ ns: 'y', name: 'b' }, { ns: 'x', name: 'a' }), true);
    assert.equal(t.get({ ns: 'y', name: 'a' }, { ns: 'x', name: 'a' }), false);
    const e = new Truth(pods, true).expectAllEgress({ pod: 'b' }, false);
    assert.deepEqual(e.cells().map((r) => r.every((v) => !v)), [false, true, false, true]);
  });

  it('counts differences and renders upstream-style matrices', function () {
    const want = new Truth(pods, true).expectAllIngress({ ns: 'x', pod: 'a' }, false).cells();
    const got = new Truth(pods, true).cells();
    assert.equal(differences(want, got), 4);
    assert.equal(differences(want, want), 0);
    assert.equal(
      renderMatrix(pods, got, want),
      ['-    x/a  x/b  y/a  y/b', 'x/a  .*   .    .    .', 'x/b  .*   .    .    .', 'y/a  .*   .    .    .', 'y/b  .*   .    .    .'].join('\n'),
    );
  });
});
