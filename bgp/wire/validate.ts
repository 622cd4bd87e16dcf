// Semantic UPDATE checks that need the session (eBGP or iBGP, the peer's
// ASN): the decoder checks syntax only, this validator applies the RFC 7606
// actions that depend on who sent the UPDATE. Pure: returns a new message
// (attributes discarded, errors appended), never mutates its input.
// RFCs: 7606 §7.2 (confederation segments and first AS from an external
// peer), §7.3 (NEXT_HOP semantics per RFC 4271 §6.3), §7.5 (LOCAL_PREF from
// an external peer), §7.9 and §7.10 (ORIGINATOR_ID / CLUSTER_LIST from an
// external peer), 4271 §6.3 (first AS, next hop), 4760 §3.
import { ipv4ToNumber, ipv6ToBytes, type Asn, type IpAddress } from '../types.ts';
import { BgpError, ErrorCode, UpdateSubcode } from './errors.ts';
import { AttrCode, type PathAttributes, type UpdateMessage } from './messages.ts';

export interface UpdateValidation {
  /** The peer is external (not in our AS or confederation). */
  readonly ebgp: boolean;
  readonly peerAsn: Asn;
  /** RFC 4271 §6.3: the leftmost AS of an eBGP path must be the peer's (off for route servers, RFC 7947 §2.2.2.1). */
  readonly enforceFirstAs: boolean;
}

/** True for addresses that can never be a next hop: unspecified, broadcast, multicast, loopback (RFC 4271 §6.3). */
export function isMartianNextHop(a: IpAddress): boolean {
  if (!a.includes(':')) {
    const v = ipv4ToNumber(a);
    const top = v >>> 24;
    return v === 0 || v === 0xffffffff || top === 127 || (top >= 224 && top <= 239);
  }
  const b = ipv6ToBytes(a);
  if (b === null) return true;
  const unspecifiedOrLoopback = b.subarray(0, 15).every((x) => x === 0) && (b[15] === 0 || b[15] === 1);
  return unspecifiedOrLoopback || b[0] === 0xff;
}

function err(subcode: number, message: string, action: 'attribute-discard' | 'treat-as-withdraw', attributeCode: number, data?: Uint8Array): BgpError {
  return new BgpError(ErrorCode.update, subcode, message, data, action, attributeCode);
}

/** Applies the session-dependent RFC 7606 checks to a decoded UPDATE. */
export function validateUpdate(msg: UpdateMessage, v: UpdateValidation): UpdateMessage {
  const errors: BgpError[] = [];
  let attrs: PathAttributes = msg.attributes;
  const drop = (key: 'localPref' | 'originatorId' | 'clusterList'): void => {
    const { [key]: _dropped, ...rest } = attrs;
    attrs = rest;
  };
  if (v.ebgp) {
    // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded
    if (attrs.localPref !== undefined) {
      errors.push(err(UpdateSubcode.malformedAttributeList, 'LOCAL_PREF from an external peer', 'attribute-discard', AttrCode.localPref));
      drop('localPref');
    }
    // RFC 7606 §7.9 / §7.10: route reflection attributes from an external peer are discarded
    if (attrs.originatorId !== undefined) {
      errors.push(err(UpdateSubcode.optionalAttributeError, 'ORIGINATOR_ID from an external peer', 'attribute-discard', AttrCode.originatorId));
      drop('originatorId');
    }
    if (attrs.clusterList !== undefined) {
      errors.push(err(UpdateSubcode.optionalAttributeError, 'CLUSTER_LIST from an external peer', 'attribute-discard', AttrCode.clusterList));
      drop('clusterList');
    }
    const path = attrs.asPath;
    if (path !== undefined) {
      // RFC 7606 §7.2: confederation segments from an external peer -> treat-as-withdraw
      if (path.some((s) => s.type === 'confed-sequence' || s.type === 'confed-set')) {
        errors.push(err(UpdateSubcode.malformedAsPath, 'confederation segment from an external peer', 'treat-as-withdraw', AttrCode.asPath));
      }
      // RFC 4271 §6.3 / RFC 7606 §7.2: the leftmost AS must be the peer's
      const first = path[0];
      const announces = msg.nlri.prefixes.length > 0 || attrs.mpReach !== undefined;
      if (v.enforceFirstAs && announces && (first === undefined || first.type !== 'sequence' || first.asns[0] !== v.peerAsn)) {
        errors.push(err(UpdateSubcode.malformedAsPath, `AS_PATH does not start with the peer AS ${v.peerAsn}`, 'treat-as-withdraw', AttrCode.asPath));
      }
    }
  }
  // RFC 4271 §6.3 / RFC 7606 §7.3: a semantically invalid NEXT_HOP withdraws the NLRI it serves
  if (attrs.nextHop !== undefined && msg.nlri.prefixes.length > 0 && isMartianNextHop(attrs.nextHop)) {
    errors.push(err(UpdateSubcode.invalidNextHop, `invalid NEXT_HOP ${attrs.nextHop}`, 'treat-as-withdraw', AttrCode.nextHop));
  }
  const r = attrs.mpReach;
  if (r !== undefined && r.family !== null && r.nlri.prefixes.length > 0 && isMartianNextHop(r.nextHop)) {
    errors.push(err(UpdateSubcode.optionalAttributeError, `invalid MP_REACH_NLRI next hop ${r.nextHop}`, 'treat-as-withdraw', AttrCode.mpReachNlri));
  }
  if (errors.length === 0) return msg;
  return { ...msg, attributes: attrs, errors: [...(msg.errors ?? []), ...errors] };
}
