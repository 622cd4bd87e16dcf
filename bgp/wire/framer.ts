// Split-safe framing of a BGP byte stream: accepts TCP chunks cut anywhere
// and returns whole messages (header included). A message lying entirely in
// one chunk is returned as a zero-copy subarray of that chunk; one spanning
// chunks is assembled once into its own buffer. Each header is validated as
// soon as its 19 octets are in, so a bad marker or length is reported before
// the body arrives. After an error the framer stays failed.
// RFCs: 4271 §4.1 and §6.1 (header checks), 8654 §4 (65535-octet messages
// once Extended Message is negotiated).
import { checkHeader } from './header.ts';
import { HEADER_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './messages.ts';
import type { BgpError } from './errors.ts';

export class Framer {
  #maxLength: number;
  /** Partial header bytes while fewer than 19 are in. */
  readonly #header = new Uint8Array(HEADER_LENGTH);
  #headerFill = 0;
  /** The message being assembled across chunks (header already validated). */
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #failed: BgpError | null = null;

  constructor(maxLength: number = MAX_MESSAGE_LENGTH) {
    this.#maxLength = maxLength;
  }

  /** The largest accepted message: 4096, or 65535 once Extended Message is negotiated (RFC 8654 §4). */
  get maxLength(): number {
    return this.#maxLength;
  }

  set maxLength(n: number) {
    if (n < MAX_MESSAGE_LENGTH || n > MAX_EXTENDED_MESSAGE_LENGTH) throw new RangeError(`max message length ${n} out of 4096..65535`);
    this.#maxLength = n;
  }

  /** Octets held for an incomplete message. */
  get buffered(): number {
    return this.#body !== null ? this.#bodyFill : this.#headerFill;
  }

  /**
   * Feeds one chunk; returns the messages it completes, in order. Throws the
   * header BgpError (code 1) on a bad header; messages completed earlier in
   * the same chunk are lost with it, which is fine since the session closes.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed !== null) throw this.#failed;
    try {
      return this.#push(chunk);
    } catch (e) {
      this.#failed = e as BgpError;
      throw e;
    }
  }

  #push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    const n = chunk.length;
    // finish a header started in an earlier chunk
    if (this.#headerFill > 0) {
      const take = Math.min(HEADER_LENGTH - this.#headerFill, n);
      this.#header.set(chunk.subarray(0, take), this.#headerFill);
      this.#headerFill += take;
      i = take;
      if (this.#headerFill < HEADER_LENGTH) return out;
      const length = checkHeader(this.#header, 0, this.#maxLength);
      this.#headerFill = 0;
      const body = new Uint8Array(length);
      body.set(this.#header, 0);
      this.#body = body;
      this.#bodyFill = HEADER_LENGTH;
    }
    // finish a message started in an earlier chunk
    if (this.#body !== null) {
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFill, n - i);
      body.set(chunk.subarray(i, i + take), this.#bodyFill);
      this.#bodyFill += take;
      i += take;
      if (this.#bodyFill < body.length) return out;
      out.push(body);
      this.#body = null;
      this.#bodyFill = 0;
    }
    // whole messages inside this chunk: zero-copy
    while (n - i >= HEADER_LENGTH) {
      const length = checkHeader(chunk, i, this.#maxLength);
      if (n - i < length) {
        const body = new Uint8Array(length);
        body.set(chunk.subarray(i, n), 0);
        this.#body = body;
        this.#bodyFill = n - i;
        return out;
      }
      out.push(chunk.subarray(i, i + length));
      i += length;
    }
    if (i < n) {
      this.#header.set(chunk.subarray(i, n), 0);
      this.#headerFill = n - i;
    }
    return out;
  }
}
