// Public surface of the RIB: the Rib class and its types. The speaker and
// bgp/index.ts import the RIB through this file only.
// RFCs: see rib.ts (4271 §9, 4456, 7911, 4724, 2918).
export { Rib } from './rib.ts';
export { DECISION_STEPS } from './types.ts';
export type * from './types.ts';
