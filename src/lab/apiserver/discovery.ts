// Discovery documents built from the kind registry: /version, /api
// (APIVersions), /apis (APIGroupList), /apis/<group> (APIGroup),
// /api/v1 and /apis/<group>/<version> (APIResourceList), plus the aggregated
// form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that kubectl asks for
// first. These are what kubectl and client-go's RESTMapper read to map kinds
// and short names to URLs.
import { groups, type JsonObject, type KindInfo } from './kinds.ts';

export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-podnet' } as const;

export function versionDoc(): JsonObject {
  return {
    major: SERVER_VERSION.major,
    minor: SERVER_VERSION.minor,
    gitVersion: SERVER_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourcesOf(kinds: readonly KindInfo[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const k of kinds) {
    const r: JsonObject = {
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.kind === 'Namespace' ? verbs.filter((v) => v !== 'deletecollection') : verbs,
    };
    if (k.shortNames.length > 0) r['shortNames'] = [...k.shortNames];
    if (k.categories.length > 0) r['categories'] = [...k.categories];
    out.push(r);
    if (k.hasStatus) {
      out.push({ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return out;
}

export function apiVersionsDoc(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(group: string, version: string): JsonObject {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [gv], preferredVersion: gv };
}

export function apiGroupListDoc(): JsonObject {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().filter((g) => g.group !== '').map((g) => groupDoc(g.group, g.version)) };
}

/** /apis/<group>, or undefined for a group we do not serve. */
export function apiGroupDoc(group: string): JsonObject | undefined {
  const g = groups().find((x) => x.group === group && group !== '');
  return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.version) };
}

/** /api/v1 or /apis/<group>/<version>, or undefined. */
export function resourceListDoc(group: string, version: string): JsonObject | undefined {
  const g = groups().find((x) => x.group === group && x.version === version);
  if (g === undefined) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: resourcesOf(g.kinds),
  };
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core) or /apis (named groups). */
export function aggregatedDoc(core: boolean): JsonObject {
  const items = groups()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: [
        {
          version: g.version,
          freshness: 'Current',
          resources: g.kinds.map((k) => {
            const r: JsonObject = {
              resource: k.plural,
              responseKind: { group: k.group, version: k.version, kind: k.kind },
              scope: k.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: k.singular,
              verbs: k.kind === 'Namespace' ? verbs.filter((v) => v !== 'deletecollection') : verbs,
            };
            if (k.shortNames.length > 0) r['shortNames'] = [...k.shortNames];
            if (k.categories.length > 0) r['categories'] = [...k.categories];
            if (k.hasStatus) {
              r['subresources'] = [
                { subresource: 'status', responseKind: { group: k.group, version: k.version, kind: k.kind }, verbs: ['get', 'patch', 'update'] },
              ];
            }
            return r;
          }),
        },
      ],
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
