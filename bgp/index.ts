// The public surface of the BGP library: the only file of bgp/ that code
// outside bgp/ may import (the routes controller, the management API, the
// CLI's types, `podnet bgpd`). The Speaker and its configuration types, the
// errors, the value types and parsers it needs, the management-API views, and
// the RIB's best-path change events (what the routes controller consumes).
// RFCs: see bgp/speaker.ts and the modules it re-exports from.
export {
  Speaker,
  SpeakerError,
  comparePrefixes,
  type GracefulRestartOptions,
  type NeighborConfig,
  type OriginateRequest,
  type SpeakerErrorKind,
  type SpeakerOptions,
} from './speaker.ts';
export type {
  AsPathSegmentView,
  DestinationView,
  EndOfRibView,
  GlobalView,
  GracefulRestartView,
  LastErrorView,
  MessageCountersView,
  NeighborActionRequest,
  NeighborView,
  NotificationView,
  PathView,
  PrefixCountersView,
  RouteCountersView,
  SessionView,
} from './api.ts';
export {
  FAMILIES,
  parseAsn,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
  parsePrefix,
  parseRouterId,
  prefixFamily,
  type Asn,
  type Family,
  type IpAddress,
  type Ipv4,
  type Ipv6,
  type Prefix,
  type RouterId,
} from './types.ts';
export { BgpError, CeaseSubcode, ErrorCode, WellKnownCommunity, type LargeCommunity, type Origin, type PathAttributes } from './wire/index.ts';
export type { FsmStateName } from './fsm/index.ts';
export { PolicyError, communityValue, largeCommunityValue, parsePolicies, policySchema, type PolicyDefinition } from './policy/index.ts';
export type { BestPathChange, BestPathChangeKind, BestReason, PathSource, PeerRole, PathView as RibPathView } from './rib/index.ts';
