import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, flagDefs, parseArgs, parseDuration, usage } from '../../src/config.ts';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const c = parseArgs(argv, env, 'host-a');
  assert.equal(c.kind, 'run');
  return c.config;
};
const bad = (argv: string[], re: RegExp) => assert.throws(() => parseArgs(argv, {}, 'h'), (e: unknown) => e instanceof UsageError && re.test(e.message));

describe('podnetd flags', () => {
  it('has kube-router defaults', () => {
    const c = run([]);
    assert.equal(c.runRouter, true);
    assert.equal(c.runFirewall, true);
    assert.equal(c.runServiceProxy, true);
    assert.equal(c.healthPort, 20244);
    assert.equal(c.metricsPort, 0);
    assert.equal(c.metricsPath, '/metrics');
    assert.equal(c.clusterAsn, 64512);
    assert.equal(c.routesSyncPeriod, 300_000);
    assert.equal(c.iptablesSyncPeriod, 300_000);
    assert.equal(c.ipvsSyncPeriod, 300_000);
    assert.equal(c.cacheSyncTimeout, 60_000);
    assert.equal(c.cleanupConfig, false);
    assert.equal(c.v, 0);
    assert.equal(c.nodeName, 'host-a');
  });

  it('accepts pflag syntax: --f=v, --f v, bare booleans, --f=false, -v N', () => {
    const c = run(['--run-firewall=false', '--health-port', '0', '--cleanup-config', '-v', '2', '--routes-sync-period=1h30m']);
    assert.equal(c.runFirewall, false);
    assert.equal(c.healthPort, 0);
    assert.equal(c.cleanupConfig, true);
    assert.equal(c.v, 2);
    assert.equal(c.routesSyncPeriod, 5_400_000);
    assert.equal(run(['--v=3']).v, 3);
  });

  it('takes the node name from --hostname-override, then NODE_NAME, then the hostname', () => {
    assert.equal(run(['--hostname-override=n9'], { NODE_NAME: 'n2' }).nodeName, 'n9');
    assert.equal(run([], { NODE_NAME: 'n2' }).nodeName, 'n2');
    assert.equal(run([], {}).nodeName, 'host-a');
  });

  it('builds external peers from the parallel --peer-router-* lists', () => {
    const c = run([
      '--peer-router-ips=198.18.0.1,fd00::1',
      '--peer-router-asns=65001,4200000001',
      '--peer-router-ports=179,1790',
      `--peer-router-passwords=${Buffer.from('s3cret').toString('base64')},`,
    ]);
    assert.deepEqual(c.peers, [
      { ip: '198.18.0.1', asn: 65001, port: 179, password: 's3cret' },
      { ip: 'fd00::1', asn: 4200000001, port: 1790, password: '' },
    ]);
  });

  it('rejects bad values naming the flag, the value and what is allowed', () => {
    bad(['--health-port=70000'], /invalid value "70000" for --health-port: must be an integer from 0 to 65535/);
    bad(['--run-router=yes'], /invalid value "yes" for --run-router: must be true or false/);
    bad(['--routes-sync-period=5'], /invalid value "5" for --routes-sync-period: must be a duration like 90s/);
    bad(['--cluster-asn=100'], /invalid value "100" for --cluster-asn: must be a private ASN: 64512-65535 or 4200000000-4294967294/);
    bad(['--peer-router-ips=198.18.0.1,not-an-ip', '--peer-router-asns=1,2'], /--peer-router-ips: item "not-an-ip" is not an IP address/);
    bad(['--peer-router-ips=198.18.0.1'], /--peer-router-asns has 0 item\(s\) but --peer-router-ips has 1/);
    bad(['--peer-router-ips=198.18.0.1', '--peer-router-asns=65001', '--peer-router-ports=1,2'], /--peer-router-ports has 2 item\(s\)/);
    bad(['--peer-router-ips=198.18.0.1', '--peer-router-asns=65001', '--peer-router-passwords=***'], /is not base64/);
    bad(['--metrics-path=metrics'], /must be a path starting with \//);
    bad(['--overlay-encap=ipip'], /invalid value "ipip" for --overlay-encap: must be vxlan \(ipip and fou are not implemented yet\)/);
    bad(['--router-id=1.2.3'], /--router-id: must be an IPv4 address or "generate"/);
    bad(['--bgp-holdtime=2s'], /--bgp-holdtime: must be 0 or at least 3s/);
  });

  it('rejects unknown flags, stray arguments and missing values', () => {
    bad(['--no-such-flag'], /unknown flag --no-such-flag/);
    bad(['--enable-pprof=true'], /unknown flag --enable-pprof/);
    bad(['stray'], /unexpected argument "stray"/);
    bad(['--kubeconfig'], /flag --kubeconfig needs a value/);
  });

  it('parses Go durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1h2m3s'), 3_723_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('5'), null);
    assert.equal(parseDuration('5x'), null);
  });

  it('generates --help from the registry: every flag is listed', () => {
    const text = usage();
    for (const d of flagDefs) assert.ok(text.includes(`--${d.name}`), d.name);
    assert.equal(parseArgs(['--help'], {}, 'h').kind, 'help');
    assert.equal(parseArgs(['-V'], {}, 'h').kind, 'version');
  });
});

describe('podnetd process', () => {
  const bin = fileURLToPath(new URL('../../src/bin/podnetd.ts', import.meta.url));
  it('--help lists the flags and exits 0', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--run-router/);
    assert.match(r.stdout, /--peer-router-passwords value/);
  });
  it('a bad flag exits 2 with a clear message on stderr', () => {
    const r = spawnSync(process.execPath, [bin, '--health-port=abc'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'podnetd: invalid value "abc" for --health-port: must be an integer from 0 to 65535');
    const u = spawnSync(process.execPath, [bin, '--bogus'], { encoding: 'utf8' });
    assert.equal(u.status, 2);
    assert.match(u.stderr, /unknown flag --bogus/);
  });
  it('a policy file it cannot understand, or a chain naming a missing policy, exits 2 naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-policy-'));
    try {
      const badFile = join(dir, 'bad.yaml');
      writeFileSync(badFile, 'policies:\n  - name: tor-in\n    terms: [{ action: drop }]\n');
      const r = spawnSync(process.execPath, [bin, `--bgp-policy-file=${badFile}`, '--peer-router-import-policy=tor-in'], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /invalid --bgp-policy-file:\n {2}\S+bad\.yaml: policies\[0\]\.terms\[0\]\.action: must be accept, reject or next/);
      const good = join(dir, 'good.yaml');
      writeFileSync(good, 'policies:\n  - { name: tor-in, terms: [], default: accept }\n');
      const m = spawnSync(process.execPath, [bin, `--bgp-policy-file=${good}`, '--peer-router-export-policy=tor-out'], { encoding: 'utf8' });
      assert.equal(m.status, 2);
      assert.match(m.stderr, /has no policy named "tor-out"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('--version prints the version', () => {
    const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^podnetd \d+\.\d+\.\d+ \(node v26\./);
  });
});
