// BFD control packets (RFC 5880 §4.1): encode and decode, with the reception
// checks of §6.8.6 that do not need session state. Authentication is not
// supported: a packet with the A bit is refused (§6.8.6: without
// authentication configured such packets MUST be discarded).
export type BfdState = 'AdminDown' | 'Down' | 'Init' | 'Up';
const STATES: readonly BfdState[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** Diagnostic codes (§4.1). */
export const BfdDiag = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFailed: 2,
  neighborSignaledDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;

export interface BfdPacket {
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  /** Microseconds. */
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

export class BfdPacketError extends Error {
  override readonly name = 'BfdPacketError';
}

export function encodeBfd(p: BfdPacket): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  b[0] = (1 << 5) | (p.diag & 0x1f);
  b[1] = (STATES.indexOf(p.state) << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.controlPlaneIndependent ? 0x08 : 0) | (p.demand ? 0x02 : 0);
  b[2] = p.detectMult;
  b[3] = 24;
  v.setUint32(4, p.myDiscriminator >>> 0);
  v.setUint32(8, p.yourDiscriminator >>> 0);
  v.setUint32(12, p.desiredMinTxUs >>> 0);
  v.setUint32(16, p.requiredMinRxUs >>> 0);
  v.setUint32(20, p.requiredMinEchoRxUs >>> 0);
  return b;
}

/** Decodes and checks a received control packet (§6.8.6, the state-free part); throws BfdPacketError. */
export function decodeBfd(bytes: Uint8Array): BfdPacket {
  if (bytes.length < 24) throw new BfdPacketError(`${bytes.length} octets: shorter than a control packet (24)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = (bytes[0] as number) >> 5;
  if (version !== 1) throw new BfdPacketError(`version ${version}, not 1`);
  const len = bytes[3] as number;
  const a = ((bytes[1] as number) & 0x04) !== 0;
  if (len < (a ? 26 : 24) || len > bytes.length) throw new BfdPacketError(`length field ${len} with ${bytes.length} octets received`);
  if (a) throw new BfdPacketError('authentication present (A bit), none configured');
  const detectMult = bytes[2] as number;
  if (detectMult === 0) throw new BfdPacketError('detect multiplier 0');
  if (((bytes[1] as number) & 0x01) !== 0) throw new BfdPacketError('multipoint (M bit) set');
  const myDiscriminator = v.getUint32(4);
  if (myDiscriminator === 0) throw new BfdPacketError('my discriminator 0');
  const state = STATES[(bytes[1] as number) >> 6] as BfdState;
  const yourDiscriminator = v.getUint32(8);
  if (yourDiscriminator === 0 && state !== 'Down' && state !== 'AdminDown') throw new BfdPacketError(`your discriminator 0 in state ${state}`);
  return {
    diag: (bytes[0] as number) & 0x1f,
    state,
    poll: ((bytes[1] as number) & 0x20) !== 0,
    final: ((bytes[1] as number) & 0x10) !== 0,
    controlPlaneIndependent: ((bytes[1] as number) & 0x08) !== 0,
    demand: ((bytes[1] as number) & 0x02) !== 0,
    detectMult,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxUs: v.getUint32(12),
    requiredMinRxUs: v.getUint32(16),
    requiredMinEchoRxUs: v.getUint32(20),
  };
}
