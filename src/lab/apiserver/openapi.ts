// The minimal OpenAPI v3 documents kubectl needs: /openapi/v3 (the index of
// group-versions) and /openapi/v3/<gv>, one PATCH operation per kind that
// carries x-kubernetes-group-version-kind and the fieldValidation query
// parameter. kubectl's query-param verifier (cli-runtime
// query_param_verifier_v3.go) reads exactly that to decide it may send
// fieldValidation and skip client-side schema validation; without these
// documents `kubectl create/apply` fails with "failed to download openapi".
// No component schemas are served, so kubectl computes apply patches from
// its built-in types (kubectl explain has nothing to show).
import { groups, type JsonObject } from './kinds.ts';

const HASH = 'podnet1';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openapiIndex(): JsonObject {
  const paths: JsonObject = {};
  for (const g of groups()) {
    const p = gvPath(g.group, g.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${HASH}` };
  }
  return { paths };
}

const param = (name: string): JsonObject => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

/** The document of one group-version ("api/v1", "apis/networking.k8s.io/v1"), or undefined. */
export function openapiGroupVersion(path: string): JsonObject | undefined {
  const g = groups().find((x) => gvPath(x.group, x.version) === path);
  if (g === undefined) return undefined;
  const paths: JsonObject = {};
  for (const k of g.kinds) {
    const gvk = { group: k.group, version: k.version, kind: k.kind };
    const item = `/${path}/${k.namespaced ? 'namespaces/{namespace}/' : ''}${k.plural}/{name}`;
    const op = (verb: string): JsonObject => ({
      operationId: `${verb}${k.kind}`,
      parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')],
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[item] = { patch: op('patch'), put: op('put') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}
