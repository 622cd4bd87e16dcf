// RBAC coverage: the ClusterRole of each deploy/ manifest grants exactly the
// (apiGroup, resource, verb) triples the agent uses, no more, no less. What the
// agent uses is observed, not listed: the caches of the variant's config
// (main.ts cacheKinds, from the controllers' `watches` and
// src/k8s/resources.ts) run against a recording transport, as does the CNI
// installer; a source scan makes sure nothing else talks to the API server
// (podnetd never writes). Adding a resource to a controller's watches without
// adding it to the role fails here.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from '../../../src/config.ts';
import { fetchPodCidrs } from '../../../src/deploy/install-cni.ts';
import { agentArgs, variants } from '../../../src/deploy/manifests.ts';
import type { Variant } from '../../../src/deploy/manifests.ts';
import { Caches } from '../../../src/k8s/caches.ts';
import type { Transport } from '../../../src/k8s/transport.ts';
import { cacheKinds } from '../../../src/main.ts';
import { silentLogger } from '../../../src/obs/log.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { loadManifest, repoRoot } from './load.ts';

type Triple = `${string}/${string}:${string}`;

/** A transport that answers empty lists and idle watches, and records each request as (group, resource, verb). */
function recorder(): { transport: Transport; used: Set<Triple> } {
  const used = new Set<Triple>();
  const record = (path: string, watch: boolean): void => {
    // /api/v1/<res>[/<name>] or /apis/<group>/<version>/<res>[/<name>]; namespaced paths are not used by podnet.
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/([a-z]+)(\/[^/]+)?$/.exec(path);
    assert.ok(m, `unexpected API path ${path}`);
    const verb = watch ? 'watch' : m[3] !== undefined ? 'get' : 'list';
    used.add(`${m[1] ?? ''}/${m[2] ?? ''}:${verb}`);
  };
  const transport: Transport = {
    getJson(path, query) {
      record(path, query['watch'] === 'true');
      return Promise.resolve({ metadata: { resourceVersion: '1' }, items: [{ metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' } }].filter(() => path === '/api/v1/nodes') });
    },
    watch(path, _query, _idleMs, h) {
      record(path, true);
      queueMicrotask(() => h.onOpen());
      let done = false;
      return () => {
        if (!done) queueMicrotask(() => h.onDone(null));
        done = true;
      };
    },
  };
  return { transport, used };
}

/** What a variant's pod does against the API server: podnetd's caches, then the init container. */
async function usedBy(variant: Variant): Promise<Set<Triple>> {
  const cmd = parseArgs(agentArgs(variant), { NODE_NAME: 'n1' }, 'h');
  assert.equal(cmd.kind, 'run');
  if (cmd.kind !== 'run') throw new Error('unreachable');
  const { transport, used } = recorder();
  const caches = new Caches(cacheKinds(cmd.config), transport, { clock: realClock, log: silentLogger() });
  caches.start();
  try {
    await caches.waitForSync(10_000);
    // The watches open once the lists are in: wait for each cache's watch request.
    const deadline = Date.now() + 5000;
    while ([...used].filter((t) => t.endsWith(':watch')).length < cacheKinds(cmd.config).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } finally {
    await caches.stop();
  }
  await fetchPodCidrs(transport, 'n1');
  return used;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Every (group, resource, verb) a role's rules grant; wildcards and name-restricted rules are refused. */
export function granted(rules: readonly Rule[]): Set<Triple> {
  const out = new Set<Triple>();
  for (const r of rules) {
    assert.equal(r.resourceNames, undefined, 'resourceNames: podnet lists whole collections');
    assert.equal(r.nonResourceURLs, undefined);
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs ?? []) {
      assert.ok(g !== '*' && res !== '*' && v !== '*', `wildcard in ${JSON.stringify(r)}`);
      out.add(`${g}/${res}:${v}`);
    }
  }
  return out;
}

function diff(role: Set<Triple>, used: Set<Triple>): { missing: Triple[]; extra: Triple[] } {
  return { missing: [...used].filter((t) => !role.has(t)).sort(), extra: [...role].filter((t) => !used.has(t)).sort() };
}

function walk(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('RBAC coverage', () => {
  for (const { variant, file } of variants) {
    it(`${file}: the ClusterRole grants exactly what the agent and its init container request`, async () => {
      const used = await usedBy(variant);
      // Sanity: the recording saw every cache's list and watch.
      assert.ok(used.has('/nodes:list') && used.has('/nodes:watch') && used.has('networking.k8s.io/networkpolicies:watch'), [...used].join(' '));
      const role = loadManifest(file).find((o) => o.kind === 'ClusterRole') as { rules: Rule[] } | undefined;
      assert.ok(role);
      assert.deepEqual(diff(granted(role.rules), used), { missing: [], extra: [] });
    });
  }

  it('a role without a resource the caches read is reported missing (the check can fail)', async () => {
    const used = await usedBy('all');
    const role = loadManifest('podnet-all.yaml').find((o) => o.kind === 'ClusterRole') as { rules: Rule[] } | undefined;
    assert.ok(role);
    const cut = role.rules.map((r) => ({ ...r, resources: (r.resources ?? []).filter((x) => x !== 'pods') }));
    assert.deepEqual(diff(granted(cut), used).missing, ['/pods:list', '/pods:watch']);
    const more = [...role.rules, { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] }];
    assert.deepEqual(diff(granted(more), used).extra, ['/nodes:patch']);
  });

  it('nothing but src/k8s/transport.ts (GET only) talks to the API server from the image\'s code', () => {
    const t = readFileSync(join(repoRoot, 'src/k8s/transport.ts'), 'utf8');
    assert.deepEqual([...t.matchAll(/method:\s*'([A-Z]+)'/g)].map((m) => m[1]), ['GET'], 'the transport issues GETs only: a write needs its verb in the role and here');
    const offenders: string[] = [];
    for (const top of ['src', 'routes', 'firewall', 'services', 'bgp']) {
      for (const f of walk(join(repoRoot, top), [])) {
        const rel = relative(repoRoot, f);
        if (rel === 'src/k8s/transport.ts' || rel.startsWith('src/lab/')) continue; // src/lab is not in the image
        const s = readFileSync(f, 'utf8');
        // A value import of client-node (types are fine) or an API client.
        if (/^import\s+\{[^}]*\}\s+from\s+'@kubernetes\/client-node'/m.test(s) || /makeApiClient|new KubeConfig/.test(s)) offenders.push(rel);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
