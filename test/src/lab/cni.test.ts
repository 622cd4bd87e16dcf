// Unit: the pod network's conflist (kube-router's bridge config, cniVersion
// 1.0.0 for Debian's plugins 1.1.1) and the reading of a CNI ADD result.
import assert from 'node:assert/strict';
import { podNetworkConfList, resultIps } from '../../../src/lab/cni.ts';

describe('lab CNI config', function () {
  it('is the bridge plugin on kube-bridge with host-local over the podCIDRs', function () {
    assert.deepEqual(podNetworkConfList(['10.244.1.0/24', 'fd00:10:244:1::/64'], { ipamDataDir: '/s/ipam' }), {
      cniVersion: '1.0.0',
      name: 'podnet',
      plugins: [
        {
          type: 'bridge',
          bridge: 'kube-bridge',
          isGateway: true,
          isDefaultGateway: true,
          hairpinMode: true,
          mtu: 1450,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]], dataDir: '/s/ipam' },
        },
      ],
    });
    const plain = podNetworkConfList(['10.244.2.0/24'], { mtu: 1500 });
    const bridge = plain.plugins[0];
    assert.ok(bridge !== undefined);
    assert.equal('dataDir' in (bridge['ipam'] as object), false, 'no dataDir: the plugin default, as on a real node');
    assert.equal(bridge['mtu'], 1500);
  });

  it('reads the pod IPs of an ADD result, IPv4 first', function () {
    const r = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'kube-bridge' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/p' }],
      ips: [{ address: 'fd00:10:244:1::5/64', gateway: 'fd00:10:244:1::1', interface: 2 }, { address: '10.244.1.5/24', gateway: '10.244.1.1', interface: 2 }],
    };
    assert.deepEqual(resultIps(r), ['10.244.1.5', 'fd00:10:244:1::5']);
    assert.deepEqual(resultIps({}), []);
  });
});
