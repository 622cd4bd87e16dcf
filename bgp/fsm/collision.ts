// Connection collision detection: when two TCP connections exist for the same
// peer, decide which one to close (with Cease / Connection Collision
// Resolution). Pure: no sockets, no clock.
// RFCs: 4271 §6.8 (compare BGP identifiers; Established wins),
// 6286 §2.3 (equal identifiers: the speaker with the larger AS keeps its
// connection), 4486 §4 (Cease subcode 7).
import { type Asn, type RouterId, routerIdToNumber } from '../types.ts';
import type { FsmStateName } from './types.ts';

/** One of the two connections: who initiated it and the FSM state it is in. */
export interface CollisionSide {
  /** 'outbound': we initiated the TCP connection; 'inbound': the peer did. */
  readonly direction: 'inbound' | 'outbound';
  readonly state: FsmStateName;
}

export interface CollisionSpeakers {
  readonly localId: RouterId;
  readonly localAsn: Asn;
  readonly remoteId: RouterId;
  readonly remoteAsn: Asn;
}

export interface CollisionVerdict {
  /** Which connection to close: `a` (the older one) or `b` (the newer one). */
  readonly close: 'a' | 'b';
  readonly reason: string;
}

const DETECTABLE: ReadonlySet<FsmStateName> = new Set(['OpenSent', 'OpenConfirm', 'Established']);

/**
 * Decides which of two connections to the same peer to close, or null when
 * there is no collision to resolve yet. `a` is the older connection, `b` the
 * newer one; the remote identifier must be known (from an OPEN on either).
 */
export function resolveCollision(speakers: CollisionSpeakers, a: CollisionSide, b: CollisionSide): CollisionVerdict | null {
  // RFC 4271 §6.8: no collision can be detected in Idle, Connect or Active
  if (!DETECTABLE.has(a.state) || !DETECTABLE.has(b.state)) return null;
  // RFC 4271 §6.8: a collision with an Established connection closes the new one
  if (a.state === 'Established') return { close: 'b', reason: 'a connection to this peer is already Established' };
  if (b.state === 'Established') return { close: 'a', reason: 'the other connection to this peer is already Established' };
  if (a.direction === b.direction) {
    return { close: 'b', reason: `two ${a.direction} connections to the same peer: keeping the older` };
  }
  const outbound = a.direction === 'outbound' ? 'a' : 'b';
  const inbound = outbound === 'a' ? 'b' : 'a';
  const local = routerIdToNumber(speakers.localId);
  const remote = routerIdToNumber(speakers.remoteId);
  if (local !== remote) {
    // RFC 4271 §6.8: the speaker with the higher identifier keeps the connection it initiated
    return local < remote
      ? { close: outbound, reason: `local identifier ${speakers.localId} < remote ${speakers.remoteId}: closing the connection we initiated` }
      : { close: inbound, reason: `local identifier ${speakers.localId} > remote ${speakers.remoteId}: closing the connection the peer initiated` };
  }
  // RFC 6286 §2.3: equal identifiers (eBGP): the connection initiated by the speaker with the larger AS is kept
  if (speakers.localAsn === speakers.remoteAsn) {
    return { close: 'b', reason: 'equal identifiers and AS numbers: keeping the older connection' };
  }
  return speakers.localAsn > speakers.remoteAsn
    ? { close: inbound, reason: `equal identifiers, local AS ${speakers.localAsn} > remote AS ${speakers.remoteAsn}: closing the connection the peer initiated` }
    : { close: outbound, reason: `equal identifiers, local AS ${speakers.localAsn} < remote AS ${speakers.remoteAsn}: closing the connection we initiated` };
}
