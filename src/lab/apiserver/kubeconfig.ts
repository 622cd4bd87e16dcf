// Writes the kubeconfig that points kubectl and @kubernetes/client-node at the
// embedded API server: one cluster (plain http on loopback, no auth; marked
// insecure-skip-tls-verify because client-node v2 rejects http otherwise), one
// empty user, one context with namespace "default", made current.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Writes the kubeconfig to `path` (or into a fresh temporary directory) and
 * returns the path and a cleanup that removes the temporary directory (a
 * caller-given path is left in place).
 */
export function writeKubeconfig(server: string, path?: string): { path: string; cleanup: () => void } {
  const dir = path === undefined ? mkdtempSync(join(tmpdir(), 'podnet-apiserver-')) : undefined;
  const target = path ?? join(dir ?? '', 'kubeconfig');
  writeFileSync(target, kubeconfigText(server), { mode: 0o600 });
  return { path: target, cleanup: () => (dir !== undefined ? rmSync(dir, { recursive: true, force: true }) : undefined) };
}
