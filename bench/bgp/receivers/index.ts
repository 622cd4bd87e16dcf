// The receiver kinds the BGP convergence benchmark knows, in table order.
// Adding one: implement ReceiverKind (types.ts) and list it here.
import { birdReceiver } from './bird.ts';
import { gobgpReceiver } from './gobgp.ts';
import { podnetReceiver } from './podnet.ts';
import type { ReceiverKind } from './types.ts';

export const RECEIVERS: readonly ReceiverKind[] = [birdReceiver, gobgpReceiver, podnetReceiver];
