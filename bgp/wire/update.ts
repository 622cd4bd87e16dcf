// UPDATE message codec: withdrawn routes, path attributes, NLRI; the RFC 7606
// outcome of decoding (errors kept on the message, session-reset thrown);
// End-of-RIB markers.
// RFCs: 4271 §4.3 and §6.3, 4760 §3-§4, 7911 §3, 7606 §3.d (missing
// well-known attribute is treat-as-withdraw) and §5.3, 4724 §2 (End-of-RIB),
// 8654 §4 (maximum size).
import type { Family } from '../types.ts';
import { BgpError, ErrorCode, UpdateSubcode } from './errors.ts';
import { allocMessage } from './header.ts';
import { decodeAttributes, encodeAttributes } from './attributes/registry.ts';
import { AttrCode, HEADER_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, MessageType, type NlriList, type PathAttributes, type UpdateMessage, type WireContext } from './messages.ts';
import { decodeNlri, emptyNlri, nlriListSize, writeNlriList } from './nlri.ts';

/** The largest message we may send in this context (RFC 8654 §4). */
export function maxTxLength(ctx: WireContext): number {
  return ctx.extendedMessageTx ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** The largest message we accept in this context (RFC 8654 §4). */
export function maxRxLength(ctx: WireContext): number {
  return ctx.extendedMessageRx ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

function malformedList(message: string): BgpError {
  // RFC 4271 §6.3: field lengths inconsistent with the message -> Malformed Attribute List
  return new BgpError(ErrorCode.update, UpdateSubcode.malformedAttributeList, message);
}

/**
 * Decodes an UPDATE frame. Throws BgpError when the session must be reset;
 * weaker RFC 7606 outcomes are returned in `errors`.
 */
export function decodeUpdate(frame: Uint8Array, ctx: WireContext): UpdateMessage {
  const end = frame.length;
  let o = HEADER_LENGTH;
  const wlen = ((frame[o] as number) << 8) | (frame[o + 1] as number);
  o += 2;
  if (o + wlen + 2 > end) throw malformedList(`withdrawn routes length ${wlen} overruns the message`);
  const addPath4 = ctx.addPathRx.has('ipv4-unicast');
  const withdrawn = decodeNlri(frame, o, o + wlen, false, addPath4);
  o += wlen;
  const alen = ((frame[o] as number) << 8) | (frame[o + 1] as number);
  o += 2;
  if (o + alen > end) throw malformedList(`total path attribute length ${alen} overruns the message`);
  const decoded = decodeAttributes(frame, o, o + alen, ctx);
  const nlri = decodeNlri(frame, o + alen, end, false, addPath4);
  const attributes = decoded.attributes;
  let errors = decoded.errors;
  if (nlri.prefixes.length === 0 && errors.some((e) => e.attributeCode === AttrCode.nextHop && e.action === 'treat-as-withdraw')) {
    // RFC 4760 §3: without NLRI in the NLRI field NEXT_HOP is ignored, so a malformed one withdraws nothing
    errors = errors.map((e) => (e.attributeCode === AttrCode.nextHop ? e.withAction('attribute-discard') : e));
  }
  const announces = nlri.prefixes.length > 0 || attributes.mpReach !== undefined;
  if (announces && !errors.some((e) => e.action === 'treat-as-withdraw')) {
    // RFC 7606 §3.d: a missing well-known mandatory attribute -> treat-as-withdraw (data = the type code)
    const missing: number[] = [];
    if (attributes.origin === undefined) missing.push(AttrCode.origin);
    if (attributes.asPath === undefined) missing.push(AttrCode.asPath);
    // RFC 4760 §3: NEXT_HOP is needed only with NLRI in the NLRI field
    if (nlri.prefixes.length > 0 && attributes.nextHop === undefined) missing.push(AttrCode.nextHop);
    if (missing.length > 0) {
      errors = [
        ...errors,
        ...missing.map((code) => new BgpError(ErrorCode.update, UpdateSubcode.missingWellKnownAttribute, `missing well-known attribute ${code}`, Uint8Array.of(code), 'treat-as-withdraw')),
      ];
    }
  }
  return errors.length > 0 ? { type: 'update', withdrawn, attributes, nlri, errors } : { type: 'update', withdrawn, attributes, nlri };
}

/** Encodes an UPDATE. Throws RangeError when it would exceed the negotiated maximum size. */
export function encodeUpdate(msg: UpdateMessage, ctx: WireContext): Uint8Array {
  const addPath4 = ctx.addPathTx.has('ipv4-unicast');
  const attrs = encodeAttributes(msg.attributes, ctx);
  const wlen = nlriListSize(msg.withdrawn, addPath4);
  const length = HEADER_LENGTH + 4 + wlen + attrs.length + nlriListSize(msg.nlri, addPath4);
  if (length > maxTxLength(ctx)) throw new RangeError(`UPDATE of ${length} octets exceeds ${maxTxLength(ctx)}; use the update builder to split it`);
  const out = allocMessage(MessageType.update, length);
  let o = HEADER_LENGTH;
  out[o++] = wlen >>> 8;
  out[o++] = wlen & 255;
  o = writeNlriList(out, o, msg.withdrawn, addPath4);
  out[o++] = attrs.length >>> 8;
  out[o++] = attrs.length & 255;
  out.set(attrs, o);
  writeNlriList(out, o + attrs.length, msg.nlri, addPath4);
  return out;
}

/** The End-of-RIB marker of a family (RFC 4724 §2). */
export function endOfRib(family: Family): UpdateMessage {
  if (family === 'ipv4-unicast') return { type: 'update', withdrawn: emptyNlri(), attributes: {}, nlri: emptyNlri() };
  return { type: 'update', withdrawn: emptyNlri(), attributes: { mpUnreach: { family, withdrawn: emptyNlri() } }, nlri: emptyNlri() };
}

/** The family whose End-of-RIB this UPDATE is, or null (RFC 4724 §2). */
export function endOfRibFamily(msg: UpdateMessage): Family | null {
  if (msg.withdrawn.prefixes.length > 0 || msg.nlri.prefixes.length > 0) return null;
  const keys = Object.keys(msg.attributes) as (keyof PathAttributes)[];
  if (keys.length === 0) return 'ipv4-unicast';
  const u = msg.attributes.mpUnreach;
  if (keys.length !== 1 || u === undefined || u.family === null || u.withdrawn.prefixes.length > 0) return null;
  return u.family;
}

/** True when an UPDATE's routes must all be handled as withdrawn (RFC 7606 §2 treat-as-withdraw). */
export function isTreatAsWithdraw(msg: UpdateMessage): boolean {
  return msg.errors?.some((e) => e.action === 'treat-as-withdraw') ?? false;
}

/**
 * The routes an UPDATE announces and withdraws per family, MP attributes
 * included. Under treat-as-withdraw (RFC 7606 §2) every announced route is
 * reported as withdrawn instead.
 */
export function updateRoutes(msg: UpdateMessage): { readonly announced: ReadonlyMap<Family, NlriList>; readonly withdrawn: ReadonlyMap<Family, NlriList> } {
  const announced = new Map<Family, NlriList>();
  const withdrawn = new Map<Family, NlriList>();
  const asWithdraw = isTreatAsWithdraw(msg);
  add(withdrawn, 'ipv4-unicast', msg.withdrawn);
  const u = msg.attributes.mpUnreach;
  if (u !== undefined && u.family !== null) add(withdrawn, u.family, u.withdrawn);
  add(asWithdraw ? withdrawn : announced, 'ipv4-unicast', msg.nlri);
  const r = msg.attributes.mpReach;
  if (r !== undefined && r.family !== null) add(asWithdraw ? withdrawn : announced, r.family, r.nlri);
  return { announced, withdrawn };
}

function add(m: Map<Family, NlriList>, f: Family, l: NlriList): void {
  if (l.prefixes.length > 0) m.set(f, concat(m.get(f), l));
}

function concat(a: NlriList | undefined, b: NlriList): NlriList {
  if (a === undefined) return b;
  const pathIds = a.pathIds !== null && b.pathIds !== null ? [...a.pathIds, ...b.pathIds] : null;
  return { prefixes: [...a.prefixes, ...b.prefixes], pathIds };
}
