// Deterministic, length-limited names for the chains and ipsets the firewall
// controller owns. Every name starts with `PODNET-`, so cleanup finds ours by
// prefix. Per-object names are a hash of the object's identity (not of its
// content): an object keeps its chain or set across updates, which lets apply
// rewrite one chain or swap one set in place. Like kube-router's
// KUBE-POD-FW-xxxx / KUBE-NWPLCY-xxxx, without its per-sync version suffix.
// Ownership is by exact name pattern (ownsChain/ownsSet), not by the bare
// prefix, which other controllers share. No RFCs.
import { createHash } from 'node:crypto';
import type { IpFamily } from '../src/kernel/iptables/model.ts';

/** Top-level chains, jumped to from the built-in chain of the same suffix. */
export const CHAIN_INPUT = 'PODNET-INPUT';
export const CHAIN_FORWARD = 'PODNET-FORWARD';
export const CHAIN_OUTPUT = 'PODNET-OUTPUT';
/** Conntrack short-cuts shared by every pod chain. */
export const CHAIN_COMMON = 'PODNET-COMMON';
/** Default deny: pod-CIDR addresses whose pod chain is not programmed yet. */
export const CHAIN_UNKNOWN = 'PODNET-UNPROGRAMMED';
/** Default deny: local pods whose chains are programmed (hash:ip). */
export const SET_LOCAL_PODS_V4 = 'PODNET-LOCAL-PODS4';
export const SET_LOCAL_PODS_V6 = 'PODNET-LOCAL-PODS6';

/** 16 hex characters (64 bits) of SHA-256 over the identity parts. */
export function digest(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p};`);
  return h.digest('hex').slice(0, 16).toUpperCase();
}

/** Per-pod chain for one direction: PODNET-FWI-<16> / PODNET-FWE-<16> (26 chars). */
export function podChain(ns: string, pod: string, dir: 'ingress' | 'egress', family: IpFamily): string {
  return `PODNET-FW${dir === 'ingress' ? 'I' : 'E'}-${digest(['pod', ns, pod, dir, family])}`;
}

/** Per-policy chain for one direction: PODNET-NPI-<16> / PODNET-NPE-<16>. */
export function policyChain(ns: string, name: string, dir: 'ingress' | 'egress', family: IpFamily): string {
  return `PODNET-NP${dir === 'ingress' ? 'I' : 'E'}-${digest(['policy', ns, name, dir, family])}`;
}

/**
 * A set made for one part of one policy rule. `role` says what it holds:
 * `P` peer pods (hash:ip), `B` an ipBlock (hash:net), `N` named-port endpoints
 * (hash:ip,port). 8 + 1 + 1 + 16 = 26 characters, within the 31 of ipset.
 */
export function ruleSet(
  role: 'P' | 'B' | 'N',
  ns: string,
  name: string,
  dir: 'ingress' | 'egress',
  ruleIndex: number,
  partIndex: number,
  family: IpFamily,
): string {
  return `PODNET-${role}-${digest(['set', role, ns, name, dir, String(ruleIndex), String(partIndex), family])}`;
}

export function localPodsSet(family: IpFamily): string {
  return family === 'inet' ? SET_LOCAL_PODS_V4 : SET_LOCAL_PODS_V6;
}

const OWN_CHAIN_RE = /^PODNET-(?:FWI|FWE|NPI|NPE)-[0-9A-F]{16}$/;
const OWN_SET_RE = /^PODNET-(?:[PBN]|TMP)-[0-9A-F]{16}$/;

/** Whether a chain name is one the firewall controller creates (for cleanup and diffs). */
export function ownsChain(name: string): boolean {
  return OWN_CHAIN_RE.test(name) || [CHAIN_INPUT, CHAIN_FORWARD, CHAIN_OUTPUT, CHAIN_COMMON, CHAIN_UNKNOWN].includes(name);
}

/** Whether an ipset name is one the firewall controller creates (its temporaries included). */
export function ownsSet(name: string): boolean {
  return OWN_SET_RE.test(name) || name === SET_LOCAL_PODS_V4 || name === SET_LOCAL_PODS_V6;
}
