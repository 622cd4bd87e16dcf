// The FSM's public surface for the session shell and the speaker: the pure
// transition function, its vocabulary, OPEN checks and collision resolution.
// RFCs: 4271 §6.8, §8; 6286; 6608; 6793; 9003 (see each module).
export * from './types.ts';
export { transition, runningTimers, hasConnection, ceaseNotification, secondaryState, adoptRun } from './transition.ts';
export { checkOpen, negotiateHoldTime, announcedAsn, fourOctetAsn, type OpenCheck } from './open-check.ts';
export { resolveCollision, type CollisionSide, type CollisionSpeakers, type CollisionVerdict } from './collision.ts';
