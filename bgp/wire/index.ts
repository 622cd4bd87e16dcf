// Public surface of the BGP wire codec: message types, the negotiated
// WireContext, errors, framing, and the encode/decode functions. The rest of
// bgp/ imports the codec through this file only.
export * from './errors.ts';
export * from './messages.ts';
export { Framer } from './framer.ts';
export { decodeMessage, encodeMessage } from './message.ts';
export { decodeOpen, encodeOpen, openAsn, findCapabilities, capabilityCodes, BGP_VERSION } from './open.ts';
export { decodeCapability, encodeCapability, capabilityCode, KNOWN_CAPABILITY_CODES } from './capabilities.ts';
export { decodeNotification, encodeNotification, shutdownCommunicationData } from './notification.ts';
export { decodeRouteRefresh, encodeRouteRefresh, encodeKeepalive } from './route-refresh.ts';
export { decodeUpdate, encodeUpdate, endOfRib, endOfRibFamily, isTreatAsWithdraw, updateRoutes, maxRxLength, maxTxLength } from './update.ts';
export { buildUpdates, buildWithdrawals, type RouteBatch } from './update-builder.ts';
export { decodeNlri, emptyNlri } from './nlri.ts';
export { decodeAttributes, encodeAttributes, attributeDescriptor, type AttributeDescriptor, type DecodedAttributes } from './attributes/registry.ts';
export { mergeAs4Path } from './attributes/as-path.ts';
export { negotiate, type Negotiation } from './negotiate.ts';
export { validateUpdate, isMartianNextHop, type UpdateValidation } from './validate.ts';
