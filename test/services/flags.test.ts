// The service proxy's podnetd flags: defaults, parsing, and refusals that
// name the flag (kube-router's names and syntax).
import assert from 'node:assert/strict';
import { UsageError, parseArgs } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';

function cfg(args: string[]): Config {
  const c = parseArgs(args, {}, 'host-a');
  assert.equal(c.kind, 'run');
  return c.config;
}

describe('services flags', () => {
  it('defaults: auto mode, strict validation, the default NodePort range, nothing else on', () => {
    const c = cfg([]);
    assert.equal(c.serviceProxyMode, 'auto');
    assert.equal(c.strictExternalIpValidation, true);
    assert.deepEqual(c.serviceNodePortRange, [30000, 32767]);
    assert.deepEqual([c.masqueradeAll, c.hairpinMode, c.nodeportBindonAllIp], [false, false, false]);
    assert.deepEqual([c.serviceExternalIpRange, c.loadbalancerIpRange], [[], []]);
    assert.deepEqual(c.serviceClusterIpRange, [{ cidr: '10.96.0.0/12' }]);
  });

  it('parses every service flag', () => {
    const c = cfg([
      '--service-proxy-mode=nftables', '--masquerade-all', '--hairpin-mode=true', '--nodeport-bindon-all-ip',
      '--strict-external-ip-validation=false', '--service-external-ip-range=198.19.1.0/24,fd00:1::/64',
      '--loadbalancer-ip-range', '198.19.0.0/24', '--service-node-port-range=20000:20100', '--service-cluster-ip-range=10.100.0.0/16,fd00:96::/108',
    ]);
    assert.equal(c.serviceProxyMode, 'nftables');
    assert.deepEqual([c.masqueradeAll, c.hairpinMode, c.nodeportBindonAllIp, c.strictExternalIpValidation], [true, true, true, false]);
    assert.deepEqual(c.serviceExternalIpRange.map((x) => x.cidr), ['198.19.1.0/24', 'fd00:1::/64']);
    assert.deepEqual(c.loadbalancerIpRange.map((x) => x.cidr), ['198.19.0.0/24']);
    assert.deepEqual(c.serviceNodePortRange, [20000, 20100]);
    assert.deepEqual(c.serviceClusterIpRange.map((x) => x.cidr), ['10.100.0.0/16', 'fd00:96::/108']);
  });

  it('refuses ipvs (not implemented), bad CIDRs and bad ranges, naming the flag', () => {
    assert.throws(() => cfg(['--service-proxy-mode=ipvs']), (e: unknown) => e instanceof UsageError && /--service-proxy-mode.*IPVS backend is not implemented/.test(e.message));
    assert.throws(() => cfg(['--loadbalancer-ip-range=198.19.0.0/33']), /--loadbalancer-ip-range.*is not a CIDR/);
    assert.throws(() => cfg(['--service-node-port-range=32767-30000']), /--service-node-port-range/);
  });
});
