// The firewall controller's Prometheus metrics, on the agent's registry:
// chains and ipsets programmed per family (set after each sync), and packets
// dropped per local pod and direction, read on scrape from the counters of
// the pod chains' REJECT/DROP rule (`iptables-save -c`). A pod chain that is
// rewritten starts counting again from zero, so the drop series is a gauge
// that can go down (rate() treats it as a counter reset). No RFCs.
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { IpFamily } from '../src/kernel/iptables/model.ts';
import type { DesiredFirewall } from './compile.ts';
import { CHAIN_FORWARD } from './names.ts';

export interface PodDrops {
  readonly family: IpFamily;
  readonly namespace: string;
  readonly pod: string;
  readonly direction: 'ingress' | 'egress';
  readonly packets: number;
}

/** Pod chain name -> its pod and direction, from the FORWARD dispatch rules' comments (`ns/pod ingress`). */
export function podChains(d: DesiredFirewall | undefined): Map<string, { family: IpFamily; namespace: string; pod: string; direction: 'ingress' | 'egress' }> {
  const out = new Map<string, { family: IpFamily; namespace: string; pod: string; direction: 'ingress' | 'egress' }>();
  for (const f of d?.families ?? []) {
    for (const r of f.chains.get(CHAIN_FORWARD)?.chain.rules ?? []) {
      const m = /^([^/]+)\/(\S+) (ingress|egress)$/.exec(r.comment ?? '');
      if (m === null || r.target.kind !== 'jump') continue;
      out.set(`${f.family} ${r.target.chain}`, { family: f.family, namespace: m[1] ?? '', pod: m[2] ?? '', direction: m[3] === 'egress' ? 'egress' : 'ingress' });
    }
  }
  return out;
}

/** Packet counters of the pod chains' final REJECT/DROP rule in `iptables-save -c` output. Pure. */
export function parseDrops(family: IpFamily, save: string, chains: ReturnType<typeof podChains>): PodDrops[] {
  const out: PodDrops[] = [];
  for (const line of save.split('\n')) {
    const m = /^\[(\d+):\d+\] -A (PODNET-FW[IE]-[0-9A-F]{16}) .*-j (?:REJECT|DROP)\b/.exec(line);
    if (m === null) continue;
    const who = chains.get(`${family} ${m[2] ?? ''}`);
    if (who !== undefined) out.push({ ...who, packets: Number(m[1]) });
  }
  return out;
}

export interface FirewallMetrics {
  /** After a sync: what the kernel holds now. */
  programmed(d: DesiredFirewall): void;
}

/** Registers the firewall's metrics; `readDrops` is called on each scrape. */
export function registerFirewallMetrics(registry: Registry, readDrops: () => Promise<PodDrops[]>): FirewallMetrics {
  const chains = new Gauge({
    name: 'podnet_firewall_chains',
    help: 'iptables chains the firewall controller has programmed, by family',
    labelNames: ['family'],
    registers: [registry],
  });
  const sets = new Gauge({
    name: 'podnet_firewall_ipsets',
    help: 'ipsets the firewall controller has programmed, by family',
    labelNames: ['family'],
    registers: [registry],
  });
  const drops = new Gauge({
    name: 'podnet_firewall_pod_dropped_packets',
    help: "Packets rejected or dropped by a local pod's policy chain, by family, namespace, pod and direction (restarts at 0 when the chain is rewritten)",
    labelNames: ['family', 'namespace', 'pod', 'direction'],
    registers: [],
    async collect() {
      this.reset();
      for (const d of await readDrops()) this.set({ family: d.family, namespace: d.namespace, pod: d.pod, direction: d.direction }, d.packets);
    },
  });
  registry.registerMetric(drops);
  return {
    programmed(d) {
      chains.reset();
      sets.reset();
      for (const f of d.families) {
        chains.set({ family: f.family }, f.chains.size);
        sets.set({ family: f.family }, f.sets.size);
      }
    },
  };
}
