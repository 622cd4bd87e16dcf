// The iptables renderer: every match and target as text, canonical match
// order, quoting, the sections of a --noflush batch, and refusals.
import assert from 'node:assert/strict';
import { renderRestore, renderRule, IptablesModelError } from '../../../src/kernel/iptables/render.ts';
import type { RestoreBatch, Rule } from '../../../src/kernel/iptables/model.ts';

describe('src/kernel/iptables/render', () => {
  it('renders every match kind in canonical order, whatever the listed order', () => {
    const r: Rule = {
      matches: [
        { kind: 'limit', perMinute: 10, burst: 5 },
        { kind: 'mark', value: 0x10000, mask: 0x10000, negate: true },
        { kind: 'ctstate', states: ['RELATED', 'ESTABLISHED'] },
        { kind: 'set', name: 'S1', dirs: ['dst', 'dst'] },
        { kind: 'proto', proto: 'sctp', dport: { from: 100, to: 200 } },
        { kind: 'addrtype', dir: 'src', type: 'LOCAL' },
        { kind: 'addr', dir: 'dst', cidr: '10.0.0.0/8', negate: true },
        { kind: 'addr', dir: 'src', cidr: '10.1.0.1' },
      ],
      target: { kind: 'RETURN' },
      comment: 'all of them',
    };
    assert.equal(
      renderRule(r, 'inet'),
      '-s 10.1.0.1/32 ! -d 10.0.0.0/8 -p sctp -m addrtype --src-type LOCAL -m sctp --dport 100:200 -m set --match-set S1 dst,dst ' +
        '-m conntrack --ctstate RELATED,ESTABLISHED -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min ' +
        '-m comment --comment "all of them" -j RETURN',
    );
    const reversed = { ...r, matches: r.matches.toReversed() };
    assert.equal(renderRule(reversed, 'inet'), renderRule(r, 'inet'));
    assert.match(renderRule({ matches: [{ kind: 'limit', perMinute: 120, burst: 5 }], target: { kind: 'DROP' } }, 'inet'), /--limit 2\/sec -j DROP/);
    assert.equal(
      renderRule({ matches: [{ kind: 'icmp6', type: 136 }, { kind: 'addr', dir: 'dst', cidr: 'fd00::/8' }], target: { kind: 'ACCEPT' } }, 'inet6'),
      '-d fd00::/8 -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT',
    );
    assert.match(renderRule({ matches: [{ kind: 'addr', dir: 'src', cidr: 'fd00::1' }], target: { kind: 'REJECT' } }, 'inet6'), /^-s fd00::1\/128 -j REJECT --reject-with icmp6-port-unreachable$/);
    assert.match(renderRule({ matches: [{ kind: 'limit', perMinute: 3, burst: 9 }], target: { kind: 'DROP' } }, 'inet'), /--limit 3\/min --limit-burst 9 -j DROP/);
  });

  it('renders every target', () => {
    const t = (target: Rule['target']): string => renderRule({ matches: [], target }, 'inet');
    assert.equal(t({ kind: 'ACCEPT' }), '-j ACCEPT');
    assert.equal(t({ kind: 'DROP' }), '-j DROP');
    assert.equal(t({ kind: 'RETURN' }), '-j RETURN');
    assert.equal(t({ kind: 'REJECT' }), '-j REJECT --reject-with icmp-port-unreachable');
    assert.equal(t({ kind: 'REJECT', with: 'icmp-admin-prohibited' }), '-j REJECT --reject-with icmp-admin-prohibited');
    assert.equal(t({ kind: 'jump', chain: 'PODNET-X' }), '-j PODNET-X');
    assert.equal(t({ kind: 'mark', value: 0, mask: 0x10000 }), '-j MARK --set-xmark 0x0/0x10000');
    assert.equal(t({ kind: 'nflog', group: 100, prefix: 'x y' }), '-j NFLOG --nflog-prefix "x y" --nflog-group 100');
    assert.equal(t({ kind: 'nflog', group: 0, prefix: 'x' }), '-j NFLOG --nflog-prefix x');
    assert.equal(renderRule({ matches: [{ kind: 'proto', proto: 'udp' }], target: { kind: 'ACCEPT' } }, 'inet'), '-p udp -j ACCEPT');
    assert.equal(
      renderRule({ matches: [{ kind: 'proto', proto: 'tcp', dport: { from: 80, to: 80 } }], target: { kind: 'ACCEPT' } }, 'inet'),
      '-p tcp -m tcp --dport 80 -j ACCEPT',
    );
  });

  it('sanitises and clamps free text', () => {
    const long = 'é'.repeat(100);
    const out = renderRule({ matches: [], target: { kind: 'nflog', group: 0, prefix: long } }, 'inet');
    const prefix = /--nflog-prefix "(.*)"$/.exec(out)?.[1] ?? '';
    assert.ok(Buffer.byteLength(prefix) <= 63);
    assert.equal(
      renderRule({ matches: [], target: { kind: 'ACCEPT' }, comment: 'a "quoted"\nline\\' }, 'inet'),
      `-m comment --comment "a _quoted_ line_" -j ACCEPT`,
    );
  });

  it('renders a --noflush batch: declarations, rules, jump deletes, inserts, chain deletes', () => {
    const batch: RestoreBatch = {
      family: 'inet',
      table: 'filter',
      write: [
        { name: 'PODNET-B', rules: [{ matches: [], target: { kind: 'jump', chain: 'PODNET-A' } }] },
        { name: 'PODNET-A', rules: [{ matches: [], target: { kind: 'ACCEPT' } }, { matches: [], target: { kind: 'DROP' } }] },
      ],
      remove: ['PODNET-OLD', 'PODNET-OLD'],
      jumps: {
        insert: [
          { from: 'INPUT', to: 'PODNET-B', position: 1, comment: 'podnet' },
          { from: 'FORWARD', to: 'PODNET-A', position: 1, comment: 'podnet' },
        ],
        delete: [{ from: 'OUTPUT', to: 'PODNET-OLD', position: 1, comment: 'podnet' }],
      },
    };
    assert.equal(
      renderRestore(batch),
      [
        '*filter',
        ':PODNET-A - [0:0]',
        ':PODNET-B - [0:0]',
        ':PODNET-OLD - [0:0]',
        '-A PODNET-A -j ACCEPT',
        '-A PODNET-A -j DROP',
        '-A PODNET-B -j PODNET-A',
        '-D OUTPUT -m comment --comment podnet -j PODNET-OLD',
        '-I FORWARD 1 -m comment --comment podnet -j PODNET-A',
        '-I INPUT 1 -m comment --comment podnet -j PODNET-B',
        '-X PODNET-OLD',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('refuses built-in chains, bad names, and a chain both written and removed', () => {
    const base: RestoreBatch = { family: 'inet', table: 'filter', write: [], remove: [], jumps: { insert: [], delete: [] } };
    assert.throws(() => renderRestore({ ...base, write: [{ name: 'FORWARD', rules: [] }] }), IptablesModelError);
    assert.throws(() => renderRestore({ ...base, remove: ['INPUT'] }), IptablesModelError);
    assert.throws(() => renderRestore({ ...base, write: [{ name: 'X'.repeat(29), rules: [] }] }), IptablesModelError);
    assert.throws(() => renderRestore({ ...base, write: [{ name: 'A B', rules: [] }] }), IptablesModelError);
    assert.throws(() => renderRestore({ ...base, write: [{ name: 'A', rules: [] }], remove: ['A'] }), IptablesModelError);
    assert.throws(() => renderRestore({ ...base, write: [{ name: 'A', rules: [] }, { name: 'A', rules: [] }] }), IptablesModelError);
    assert.equal(renderRestore(base), '*filter\nCOMMIT\n');
  });
});
