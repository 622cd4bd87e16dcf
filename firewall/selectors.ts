// Kubernetes label selectors (metav1.LabelSelector) evaluated against labels,
// and the NetworkPolicy rules for who a policy selects and who a peer is:
// podSelector within the policy's namespace, namespaceSelector across
// namespaces, both in one peer meaning AND. No RFCs; semantics per the
// Kubernetes API reference (LabelSelector, NetworkPolicyPeer).
import type { V1LabelSelector } from '@kubernetes/client-node';

export type Labels = Readonly<Record<string, string>>;

/**
 * True when `labels` satisfy the selector. An empty selector ({}) selects
 * everything; requirements are ANDed. An unknown operator selects nothing
 * (the API server rejects such objects; failing closed is the safe reading).
 */
export function selectorMatches(sel: V1LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  }
  for (const req of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = has ? labels[req.key] : undefined;
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        // A missing key satisfies NotIn.
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
