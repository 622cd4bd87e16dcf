// The shape of a path attribute descriptor (code, flags, decode, encode,
// RFC 7606 action) and the small helpers the descriptor files share.
// RFCs: 4271 §4.3 (attribute flags), 7606 §2 and §3 (error actions).
import type { Aggregator, AsPathSegment, PathAttributes, WireContext } from '../messages.ts';
import { BgpError, ErrorCode, type ErrorAction } from '../errors.ts';

/** The decoder's mutable collector: PathAttributes plus the AS4 attributes awaiting the RFC 6793 merge. */
export type AttrCollector = { -readonly [K in keyof PathAttributes]: PathAttributes[K] } & {
  as4Path?: readonly AsPathSegment[];
  as4Aggregator?: Aggregator;
};

export interface AttributeDescriptor {
  readonly code: number;
  readonly name: string;
  /** The Optional and Transitive bits this attribute must carry (RFC 4271 §5). */
  readonly flags: number;
  /** What a malformed instance costs (RFC 7606 §7). */
  readonly action: ErrorAction;
  /**
   * Decodes the attribute value into `into`. Throws BgpError (code 3) when
   * malformed; the walker adds the attribute bytes as data when none is set.
   */
  readonly decode: (value: Uint8Array, ctx: WireContext, into: AttrCollector) => void;
  /** The value to send for these attributes in this context, or null when absent. */
  readonly encode: (attrs: PathAttributes, ctx: WireContext) => Uint8Array | null;
}

export const OPTIONAL = 0x80;
export const TRANSITIVE = 0x40;
export const WELL_KNOWN = TRANSITIVE;
export const OPTIONAL_TRANSITIVE = OPTIONAL | TRANSITIVE;

/** A malformed-attribute error with the descriptor's RFC 7606 action. */
export function malformed(d: { readonly action: ErrorAction; readonly name: string }, subcode: number, detail: string): BgpError {
  return new BgpError(ErrorCode.update, subcode, `${d.name}: ${detail}`, undefined, d.action);
}

export function readU16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

export function readU32(b: Uint8Array, o: number): number {
  return (b[o] as number) * 0x1000000 + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number));
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 255;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

export function u32Bytes(v: number): Uint8Array {
  const out = new Uint8Array(4);
  writeU32(out, 0, v);
  return out;
}
