// The session layer's public surface for the speaker: Peer (one configured
// neighbour: start/stop, hooks, collision handling), Listener (accepts and
// routes connections), the Session details the RIB needs, and the clock seam.
// Transport security (TCP-MD5, GTSM, TTLs) in transport.ts over sockopt.ts.
// RFCs: 4271 §6.8 and §8, 4486, 9003, 2385, 5082 (see each module).
export { Peer, canonicalAddress, fsmConfigOf, localOpenOf, rejectConnection, validateConfig, type PeerConfig, type PeerDown, type PeerHooks, type PeerStateChange } from './peer.ts';
export { Listener, type ListenerOptions, type ListenerPeer, type RejectedConnection } from './listener.ts';
export { NO_TRANSPORT_SECURITY, transportOf, validateTransport, type TransportConfig, type TransportSecurity } from './transport.ts';
export { SockoptError, tcpAoSupported } from './sockopt.ts';
export { Session, type Endpoint, type SessionHooks, type SessionInfo, type SessionOptions, type SessionStats } from './session.ts';
export { Transmitter, SOCKET_HIGH_WATER_MARK, type TxStats, type UpdateSource } from './tx.ts';
export { Receiver, type ReceiverSink } from './rx.ts';
export { realClock, type Clock, type TimerHandle } from './clock.ts';
export { FsmTimers, EXPIRY } from './timers.ts';
