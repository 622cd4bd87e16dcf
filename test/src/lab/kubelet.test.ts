// Unit: how the lab's kubelet reads a Pod (binding, ports, deletion) and names its container.
import assert from 'node:assert/strict';
import { containerIdOf, podView } from '../../../src/lab/kubelet.ts';

describe('lab kubelet: pod view', function () {
  it('reads node, declared ports (TCP by default) and phase', function () {
    const v = podView({
      metadata: { name: 'p', namespace: 'ns1', uid: 'u-1' },
      spec: { nodeName: 'node2', containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }, { name: 'b', ports: [{ containerPort: 9, protocol: 'SCTP' }] }] },
      status: { phase: 'Running', podIP: '10.244.2.4' },
    });
    assert.deepEqual(v, {
      namespace: 'ns1',
      name: 'p',
      uid: 'u-1',
      nodeName: 'node2',
      deleting: false,
      finished: false,
      hostNetwork: false,
      ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }, { port: 9, protocol: 'SCTP' }],
      phase: 'Running',
      podIP: '10.244.2.4',
    });
  });

  it('sees unscheduled, deleting and finished pods', function () {
    const v = podView({ metadata: { name: 'q', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [] }, status: { phase: 'Succeeded' } });
    assert.equal(v.namespace, 'default');
    assert.equal(v.nodeName, '');
    assert.equal(v.deleting, true);
    assert.equal(v.finished, true);
  });

  it('derives a stable CNI container ID from the pod UID', function () {
    assert.equal(containerIdOf({ uid: '3f2a-11', namespace: 'a', name: 'b' }), 'podnetlab-3f2a-11');
    assert.equal(containerIdOf({ uid: '', namespace: 'a', name: 'b/c' }), 'podnetlab-a-bc');
  });
});
