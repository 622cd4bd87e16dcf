// Shared fixtures for the FSM tests: a configuration, one state per row of
// the RFC 4271 §8.2.2 tables, one event of each type, and a compact text form
// of effects so expected effect lists read like the RFC's prose.
import type { Asn, RouterId } from '../../../bgp/types.ts';
import type { FsmConfig, FsmEffect, FsmEvent, FsmState, Negotiated, PeerOpen } from '../../../bgp/fsm/types.ts';

export const cfg: FsmConfig = {
  localAsn: 65001 as Asn,
  localId: '10.0.0.1' as RouterId,
  peerAsn: 65002 as Asn,
  holdTimeS: 90,
  minHoldTimeS: 3,
  largeHoldTimeS: 240,
  connectRetryMs: 120_000,
  delayOpenMs: 0,
  dampPeerOscillations: true,
  idleHoldMs: 5_000,
  idleHoldMaxMs: 300_000,
  sendNotificationWithoutOpen: true,
};

export const delayCfg: FsmConfig = { ...cfg, delayOpenMs: 2_000 };

export function peerOpen(over: Partial<PeerOpen> & { as4?: number | null } = {}): PeerOpen {
  const as4 = over.as4 === undefined ? 65002 : over.as4;
  return {
    version: over.version ?? 4,
    myAs: over.myAs ?? (as4 !== null && as4 > 0xffff ? 23456 : (as4 ?? 65002)),
    holdTime: over.holdTime ?? 30,
    routerId: over.routerId ?? ('10.0.0.2' as RouterId),
    capabilities: over.capabilities ?? (as4 === null ? [] : [{ kind: 'four-octet-as', asn: as4 as Asn }]),
  };
}

export const negotiated: Negotiated = { holdTimeS: 30, keepaliveMs: 10_000, peerAsn: 65002 as Asn, peerId: '10.0.0.2' as RouterId, as4: true, ibgp: false };
export const negotiated0: Negotiated = { ...negotiated, holdTimeS: 0, keepaliveMs: 0 };

const c = { connectRetryCounter: 0, idleHoldMs: 5_000, passive: false, autoRestart: true };

export const states = {
  idle: { ...c, autoRestart: false, name: 'Idle' },
  idleArmed: { ...c, connectRetryCounter: 2, idleHoldMs: 20_000, name: 'Idle' },
  connect: { ...c, name: 'Connect', delayOpen: false },
  connectDelay: { ...c, name: 'Connect', delayOpen: true },
  active: { ...c, name: 'Active', delayOpen: false },
  activePassive: { ...c, passive: true, name: 'Active', delayOpen: false },
  activeDelay: { ...c, name: 'Active', delayOpen: true },
  openSent: { ...c, name: 'OpenSent' },
  openConfirm: { ...c, name: 'OpenConfirm', negotiated },
  openConfirm0: { ...c, name: 'OpenConfirm', negotiated: negotiated0 },
  established: { ...c, connectRetryCounter: 1, idleHoldMs: 40_000, name: 'Established', negotiated },
  established0: { ...c, name: 'Established', negotiated: negotiated0 },
} as const satisfies Record<string, FsmState>;

export type StateKey = keyof typeof states;

const notif = (code: number, subcode: number) => ({ code, subcode, data: new Uint8Array(0) });

export const events = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop', message: 'maintenance' },
  AutomaticStart: { type: 'AutomaticStart' },
  ManualStart_with_PassiveTcpEstablishment: { type: 'ManualStart_with_PassiveTcpEstablishment' },
  AutomaticStart_with_PassiveTcpEstablishment: { type: 'AutomaticStart_with_PassiveTcpEstablishment' },
  AutomaticStop: { type: 'AutomaticStop', subcode: 1 },
  ConnectRetryTimer_Expires: { type: 'ConnectRetryTimer_Expires' },
  HoldTimer_Expires: { type: 'HoldTimer_Expires' },
  KeepaliveTimer_Expires: { type: 'KeepaliveTimer_Expires' },
  DelayOpenTimer_Expires: { type: 'DelayOpenTimer_Expires' },
  IdleHoldTimer_Expires: { type: 'IdleHoldTimer_Expires' },
  Tcp_CR_Acked: { type: 'Tcp_CR_Acked' },
  TcpConnectionConfirmed: { type: 'TcpConnectionConfirmed' },
  TcpConnectionFails: { type: 'TcpConnectionFails', error: 'ECONNREFUSED' },
  BGPOpen: { type: 'BGPOpen', open: peerOpen() },
  BGPHeaderErr: { type: 'BGPHeaderErr', error: notif(1, 2) },
  BGPOpenMsgErr: { type: 'BGPOpenMsgErr', error: notif(2, 4) },
  OpenCollisionDump: { type: 'OpenCollisionDump' },
  NotifMsgVerErr: { type: 'NotifMsgVerErr', notification: notif(2, 1) },
  NotifMsg: { type: 'NotifMsg', notification: notif(6, 2) },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  UpdateMsg: { type: 'UpdateMsg' },
  UpdateMsgErr: { type: 'UpdateMsgErr', error: notif(3, 1) },
  RouteRefreshMsg: { type: 'RouteRefreshMsg' },
  SendHoldTimer_Expires: { type: 'SendHoldTimer_Expires' },
} as const satisfies Record<FsmEvent['type'], FsmEvent>;

export type EventKey = keyof typeof events;

/** One effect as short text: "stop:Hold", "start:Hold:90000", "send:NOTIFICATION 6/7", "close"... */
export function fx(e: FsmEffect): string {
  switch (e.kind) {
    case 'connect':
    case 'close':
      return e.kind;
    case 'releaseResources':
      return 'release';
    case 'sendOpen':
      return `send:OPEN hold=${e.holdTimeS}`;
    case 'sendKeepalive':
      return 'send:KEEPALIVE';
    case 'sendNotification':
      return `send:NOTIFICATION ${e.notification.code}/${e.notification.subcode}`;
    case 'startTimer':
      return `start:${e.timer}:${e.ms}`;
    case 'stopTimer':
      return `stop:${e.timer}`;
    case 'sessionUp':
      return 'up';
    case 'sessionDown':
      return 'down';
    case 'connectRetryCounter':
      return `counter:${e.value}`;
    case 'idleHoldBackoff':
      return `backoff:${e.nextMs}`;
  }
}
