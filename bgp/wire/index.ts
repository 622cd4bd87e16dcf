// Public surface of the BGP wire codec: message types, the negotiated
// WireContext, errors, framing, and the encode/decode functions. The rest of
// bgp/ imports the codec through this file only.
export * from './errors.ts';
export * from './messages.ts';
