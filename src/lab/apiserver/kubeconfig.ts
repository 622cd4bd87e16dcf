// Writes the kubeconfig that points kubectl and @kubernetes/client-node at the
// embedded API server: one cluster (plain http on loopback, no auth; marked
// insecure-skip-tls-verify because client-node v2 rejects http otherwise), one
// empty user, one context with namespace "default", made current.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const CONTEXT_NAME = 'podnet-lab';

export function kubeconfigText(server: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node v2 refuses plain http unless the cluster skips TLS verification.
    clusters: [{ name: CONTEXT_NAME, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: CONTEXT_NAME, user: {} }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: 'default' } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes the kubeconfig to `path` (or a fresh temporary directory) and returns the path. */
export function writeKubeconfig(server: string, path?: string): string {
  const target = path ?? join(mkdtempSync(join(tmpdir(), 'podnet-apiserver-')), 'kubeconfig');
  writeFileSync(target, kubeconfigText(server), { mode: 0o600 });
  return target;
}
