// The one error type the wire codec throws: a BgpError carries its protocol
// consequence, i.e. the NOTIFICATION code/subcode/data to send and the
// RFC 7606 action (attribute-discard < treat-as-withdraw < afi-safi-disable
// < session-reset). Also the NOTIFICATION code and subcode constants.
// RFCs: 4271 §4.5 and §6 (codes and subcodes), 5492 §5 (Unsupported
// Capability), 4486 and 8538 and 9384 (Cease subcodes), 6608 (FSM error
// subcodes), 7313 §5 (ROUTE-REFRESH message error), 7606 §2 (actions).

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 §5). */
export const ErrorCode = {
  messageHeader: 1,
  open: 2,
  update: 3,
  holdTimerExpired: 4,
  fsm: 5,
  cease: 6,
  routeRefresh: 7,
} as const;

/** Message Header Error subcodes (RFC 4271 §6.1). */
export const HeaderSubcode = {
  connectionNotSynchronized: 1,
  badMessageLength: 2,
  badMessageType: 3,
} as const;

/** OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5, RFC 9234 §4.2). */
export const OpenSubcode = {
  unspecific: 0,
  unsupportedVersionNumber: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7,
  roleMismatch: 11,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 §6.3). */
export const UpdateSubcode = {
  malformedAttributeList: 1,
  unrecognizedWellKnownAttribute: 2,
  missingWellKnownAttribute: 3,
  attributeFlagsError: 4,
  attributeLengthError: 5,
  invalidOrigin: 6,
  invalidNextHop: 8,
  optionalAttributeError: 9,
  invalidNetworkField: 10,
  malformedAsPath: 11,
} as const;

/** Finite State Machine Error subcodes (RFC 6608 §3). */
export const FsmSubcode = {
  unspecified: 0,
  unexpectedInOpenSent: 1,
  unexpectedInOpenConfirm: 2,
  unexpectedInEstablished: 3,
} as const;

/** Cease subcodes (RFC 4486 §4, RFC 8538 §3, RFC 9384 §3). */
export const CeaseSubcode = {
  maxPrefixesReached: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
  hardReset: 9,
  bfdDown: 10,
} as const;

/** ROUTE-REFRESH Message Error subcodes (RFC 7313 §5). */
export const RouteRefreshSubcode = {
  invalidMessageLength: 1,
} as const;

/** What the receiver does about an error, weakest first (RFC 7606 §2). */
export type ErrorAction = 'attribute-discard' | 'treat-as-withdraw' | 'afi-safi-disable' | 'session-reset';

const actionRank: Readonly<Record<ErrorAction, number>> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'afi-safi-disable': 2,
  'session-reset': 3,
};

/** The stronger of two actions. */
export function strongerAction(a: ErrorAction, b: ErrorAction): ErrorAction {
  return actionRank[a] >= actionRank[b] ? a : b;
}

const BRAND = Symbol.for('podnet.bgp.BgpError');

const EMPTY = new Uint8Array(0);

/**
 * A protocol error. `code`/`subcode`/`data` are what goes into the
 * NOTIFICATION when `action` is 'session-reset'; for weaker actions the
 * session keeps running and the error is only reported.
 */
export class BgpError extends Error {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly action: ErrorAction;
  /** For UPDATE errors, the type code of the attribute at fault, else null. */
  readonly attributeCode: number | null;

  constructor(
    code: number,
    subcode: number,
    message: string,
    data: Uint8Array = EMPTY,
    action: ErrorAction = 'session-reset',
    attributeCode: number | null = null,
  ) {
    super(message);
    this.name = 'BgpError';
    this.code = code;
    this.subcode = subcode;
    this.data = data;
    this.action = action;
    this.attributeCode = attributeCode;
  }

  /** Brand check that survives two copies of the module being loaded. */
  static is(x: unknown): x is BgpError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The same error with another action (e.g. a session-reset downgraded to treat-as-withdraw). */
  withAction(action: ErrorAction): BgpError {
    return new BgpError(this.code, this.subcode, this.message, this.data, action, this.attributeCode);
  }
}
Object.defineProperty(BgpError.prototype, BRAND, { value: true });

/** Shorthand constructors used by the decoders. */
export function headerError(subcode: number, message: string, data?: Uint8Array): BgpError {
  return new BgpError(ErrorCode.messageHeader, subcode, message, data);
}

export function openError(subcode: number, message: string, data?: Uint8Array): BgpError {
  return new BgpError(ErrorCode.open, subcode, message, data);
}

export function updateError(subcode: number, message: string, action: ErrorAction, data?: Uint8Array): BgpError {
  return new BgpError(ErrorCode.update, subcode, message, data ?? EMPTY, action);
}
