// OPEN message codec: version, My AS, hold time, BGP identifier and the
// optional parameters, of which only Capabilities (type 2) is supported.
// Decoding accepts the RFC 9072 extended optional parameters length; encoding
// uses it only when the parameters exceed 255 octets. Semantic checks (peer
// AS, identifier, hold time policy) belong to the FSM, not here; the version
// is checked here since the rest of the layout depends on it.
// RFCs: 4271 §4.2 and §6.2, 5492 §4 (capabilities parameter), 9072 §2,
// 6793 §3 (the real ASN rides in the 4-octet AS capability).
import { numberToRouterId, routerIdToNumber, type Asn } from '../types.ts';
import { capabilityCode, decodeCapability, encodeCapability } from './capabilities.ts';
import { OpenSubcode, openError } from './errors.ts';
import { allocMessage } from './header.ts';
import { HEADER_LENGTH, MessageType, type Capability, type OpenMessage } from './messages.ts';

export const BGP_VERSION = 4;
const PARAM_CAPABILITIES = 2;
/** RFC 9072 §2: Non-Ext OP Type 255 announces the extended format. */
const PARAM_EXTENDED = 255;

/** Decodes a whole OPEN frame (header included, already length-checked). */
export function decodeOpen(frame: Uint8Array): OpenMessage {
  const b = frame;
  const o = HEADER_LENGTH;
  const version = b[o] as number;
  // RFC 4271 §6.2: data = the largest locally supported version, 2 octets
  if (version !== BGP_VERSION) throw openError(OpenSubcode.unsupportedVersionNumber, `unsupported BGP version ${version}`, Uint8Array.of(0, BGP_VERSION));
  const myAs = ((b[o + 1] as number) << 8) | (b[o + 2] as number);
  const holdTime = ((b[o + 3] as number) << 8) | (b[o + 4] as number);
  const id = ((b[o + 5] as number) * 0x1000000) + (((b[o + 6] as number) << 16) | ((b[o + 7] as number) << 8) | (b[o + 8] as number));
  let optLen = b[o + 9] as number;
  let p = o + 10;
  let extended = false;
  if (optLen === 255 && b[p] === PARAM_EXTENDED) {
    // RFC 9072 §2: 255, 255, then a 2-octet length and 2-octet parameter lengths
    if (frame.length < p + 3) throw openError(OpenSubcode.unspecific, 'truncated extended optional parameters length');
    optLen = ((b[p + 1] as number) << 8) | (b[p + 2] as number);
    p += 3;
    extended = true;
  }
  if (p + optLen !== frame.length) throw openError(OpenSubcode.unspecific, `optional parameters length ${optLen} does not match the message`);
  const capabilities: Capability[] = [];
  const end = frame.length;
  const hdr = extended ? 3 : 2;
  while (p < end) {
    if (p + hdr > end) throw openError(OpenSubcode.unspecific, 'truncated optional parameter');
    const type = b[p] as number;
    const len = extended ? ((b[p + 1] as number) << 8) | (b[p + 2] as number) : (b[p + 1] as number);
    p += hdr;
    if (p + len > end) throw openError(OpenSubcode.unspecific, 'optional parameter overruns the message');
    // RFC 5492 §4 / RFC 4271 §6.2: anything but Capabilities is an unsupported optional parameter
    if (type !== PARAM_CAPABILITIES) throw openError(OpenSubcode.unsupportedOptionalParameter, `unsupported optional parameter ${type}`);
    const pend = p + len;
    while (p < pend) {
      if (p + 2 > pend) throw openError(OpenSubcode.unspecific, 'truncated capability');
      const code = b[p] as number;
      const clen = b[p + 1] as number;
      if (p + 2 + clen > pend) throw openError(OpenSubcode.unspecific, `capability ${code} overruns its parameter`);
      capabilities.push(decodeCapability(code, b.subarray(p + 2, p + 2 + clen)));
      p += 2 + clen;
    }
  }
  return { type: 'open', version, myAs, holdTime, routerId: numberToRouterId(id), capabilities };
}

/**
 * Encodes an OPEN. All capabilities go into one Capabilities parameter when
 * they fit in 255 octets, else into several; past 255 octets of parameters
 * the RFC 9072 extended length is used.
 */
export function encodeOpen(msg: OpenMessage): Uint8Array {
  const caps = msg.capabilities.map(encodeCapability);
  const params: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  for (const c of caps) {
    if (size + c.length > 255 && current.length > 0) {
      params.push(current);
      current = [];
      size = 0;
    }
    current.push(c);
    size += c.length;
  }
  if (current.length > 0) params.push(current);
  const paramValueLen = params.map((list) => list.reduce((n, c) => n + c.length, 0));
  let total = paramValueLen.reduce((n, l) => n + 2 + l, 0);
  const extended = total > 255;
  if (extended) total = paramValueLen.reduce((n, l) => n + 3 + l, 0);
  const length = HEADER_LENGTH + 10 + (extended ? 3 : 0) + total;
  const out = allocMessage(MessageType.open, length);
  let p = HEADER_LENGTH;
  out[p++] = msg.version;
  out[p++] = msg.myAs >>> 8;
  out[p++] = msg.myAs & 255;
  out[p++] = msg.holdTime >>> 8;
  out[p++] = msg.holdTime & 255;
  const id = routerIdToNumber(msg.routerId);
  out[p++] = id >>> 24;
  out[p++] = (id >>> 16) & 255;
  out[p++] = (id >>> 8) & 255;
  out[p++] = id & 255;
  if (extended) {
    out[p++] = 255;
    out[p++] = PARAM_EXTENDED;
    out[p++] = total >>> 8;
    out[p++] = total & 255;
  } else {
    out[p++] = total;
  }
  params.forEach((list, k) => {
    out[p++] = PARAM_CAPABILITIES;
    const len = paramValueLen[k] as number;
    if (extended) out[p++] = len >>> 8;
    out[p++] = len & 255;
    for (const c of list) {
      out.set(c, p);
      p += c.length;
    }
  });
  return out;
}

/** The sender's real ASN: the 4-octet AS capability when present (RFC 6793 §3), else My AS. */
export function openAsn(open: OpenMessage): Asn {
  for (const c of open.capabilities) if (c.kind === 'four-octet-as') return c.asn;
  return open.myAs as Asn;
}

/** Capabilities of one kind, in order. */
export function findCapabilities<K extends Capability['kind']>(open: OpenMessage, kind: K): Extract<Capability, { kind: K }>[] {
  return open.capabilities.filter((c): c is Extract<Capability, { kind: K }> => c.kind === kind);
}

/** The codes of the capabilities in an OPEN (for the Unsupported Capability data, RFC 5492 §5). */
export function capabilityCodes(open: OpenMessage): number[] {
  return open.capabilities.map(capabilityCode);
}
