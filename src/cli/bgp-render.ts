// Human renderings of the BGP views, shaped like gobgp's CLI: the neighbour
// table (Peer, AS, Up/Down, State, #Received, #Accepted), one neighbour's
// details, and RIB tables (best marker, Network, Next Hop, AS_PATH, Age,
// Attrs, and the deciding reason of the best path). Pure functions of the
// views: durations come inside them, so output is golden-testable.
import type { AsPathSegmentView, DestinationView, GlobalView, NeighborView, NotificationView, PathView } from '../../bgp/index.ts';
import { table } from './table.ts';

/** gobgp's duration form: "00:01:02", "3d 04:05:06"; "never" for null (ages: unknown). */
export function formatDuration(s: number | null): string {
  if (s === null) return 'never';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  const hms = [h, m, sec].map((x) => String(x).padStart(2, '0')).join(':');
  return d > 0 ? `${d}d ${hms}` : hms;
}

const STATE_SHORT: Readonly<Record<string, string>> = { Established: 'Establ', OpenConfirm: 'OpenConfirm', OpenSent: 'OpenSent', Active: 'Active', Connect: 'Connect', Idle: 'Idle' };

function stateText(n: NeighborView): string {
  const s = STATE_SHORT[n.state] ?? n.state;
  return n.enabled ? s : `${s}(Admin)`;
}

/** `podnet neighbor`. */
export function renderNeighbors(ns: readonly NeighborView[]): string {
  return table(
    ['Peer', 'AS', 'Up/Down', 'State', '#Received', '#Accepted'],
    ns.map((n) => [
      n.address,
      String(n.remoteAsn),
      formatDuration(n.upDownS),
      stateText(n),
      String(n.routes.received),
      String(n.routes.accepted),
    ]),
  );
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const CEASE_NAMES: Readonly<Record<number, string>> = {
  1: 'Maximum Number of Prefixes Reached',
  2: 'Administrative Shutdown',
  3: 'Peer De-configured',
  4: 'Administrative Reset',
  5: 'Connection Rejected',
  6: 'Other Configuration Change',
  7: 'Connection Collision Resolution',
  8: 'Out of Resources',
  9: 'Hard Reset',
  10: 'BFD Down',
};

/** "Cease/Administrative Shutdown (6/2) received: "message"". */
export function notificationText(n: NotificationView): string {
  const name = CODE_NAMES[n.code] ?? `code ${n.code}`;
  const sub = n.code === 6 ? (CEASE_NAMES[n.subcode] ?? `subcode ${n.subcode}`) : `subcode ${n.subcode}`;
  const msg = n.communication !== null ? `: "${n.communication}"` : n.dataHex !== '' ? ` data ${n.dataHex}` : '';
  return `${name}/${sub} (${n.code}/${n.subcode}) ${n.direction}${msg}`;
}

/** `podnet neighbor ADDR`. */
export function renderNeighbor(n: NeighborView): string {
  const lines: string[] = [];
  lines.push(`BGP neighbor is ${n.address}, remote AS ${n.remoteAsn}, local AS ${n.localAsn}${n.routeReflectorClient ? ', route-reflector client' : ''}`);
  lines.push(`  BGP version 4, remote router ID ${n.session?.peerRouterId ?? 'unknown'}`);
  const state = n.state === 'Established' ? `${n.state}, up for ${formatDuration(n.uptimeS)}` : `${n.state}${n.enabled ? '' : ' (administratively shut down)'}, Up/Down ${formatDuration(n.upDownS)}`;
  lines.push(`  BGP state = ${state}`);
  lines.push(`  Last transition: ${n.stateReason}`);
  lines.push(`  Port ${n.port}${n.passive ? ', passive' : ''}; configured hold time is ${n.holdTimeS}${n.keepaliveS !== null ? `, keepalive interval is ${n.keepaliveS} seconds` : ''}`);
  const s = n.session;
  if (s !== null) {
    lines.push(`  Negotiated hold time is ${s.holdTimeS}, keepalive interval is ${s.keepaliveS} seconds`);
    lines.push(`  Connection ${s.direction}: local ${s.localAddress}:${s.localPort}, remote port ${s.remotePort}, ${s.ibgp ? 'internal' : 'external'} link`);
    lines.push(`  Families: ${s.families.join(', ') || 'none'}`);
    lines.push(`  Capabilities sent: ${s.capabilitiesSent.join(', ')}`);
    lines.push(`  Capabilities received: ${s.capabilitiesReceived.join(', ')}`);
  }
  const gr = n.gracefulRestart;
  if (gr.enabled) {
    const peer = gr.peerRestartTimeS === null ? 'not advertised by the neighbor' : `neighbor's restart time ${gr.peerRestartTimeS} s${gr.notification ? ', notification (RFC 8538)' : ''}`;
    lines.push(`  Graceful restart: ${peer}`);
    if (gr.state !== 'none') {
      const what = gr.state === 'peer-restarting' ? 'neighbor restarting, keeping' : 'waiting for End-of-RIB, still';
      lines.push(`    ${what} stale: ${gr.stale.map((x) => `${x.family} ${x.routes}`).join(', ')}`);
    }
  }
  const bfd = n.bfd;
  if (bfd !== null) lines.push(`  BFD: ${bfd.state} (peer ${bfd.remoteState}), tx ${bfd.minTxMs} ms, rx ${bfd.minRxMs} ms, multiplier ${bfd.multiplier}, detection ${bfd.detectMs} ms${bfd.diag !== 0 ? `, last diagnostic ${bfd.diag}` : ''}`);
  const mp = n.maxPrefixes;
  if (mp !== null) {
    const held = mp.heldDown ? (mp.restartAt !== null ? `; exceeded: down until ${new Date(mp.restartAt).toISOString()}` : '; exceeded: down until reset or enable') : '';
    lines.push(`  Maximum prefixes: ${mp.limit}${mp.restartS !== null ? `, restart after ${mp.restartS} s` : ''}${held}`);
  }
  const m = n.messages;
  lines.push('  Message statistics:');
  lines.push(`    Updates:        sent ${m.updatesOut}, received ${m.updatesIn}`);
  lines.push(`    Notifications:  sent ${m.notificationsOut}, received ${m.notificationsIn}`);
  lines.push(`    Route refresh:  sent ${m.routeRefreshOut}, received ${m.routeRefreshIn}`);
  lines.push(`    Established:    ${m.established} times`);
  const r = n.routes;
  lines.push('  Route statistics:');
  lines.push(`    Received ${r.received}, rejected ${r.rejected}, withdrawn ${r.withdrawn} (cumulative)`);
  for (const p of n.prefixes) lines.push(`    ${p.family.padEnd(13)} accepted ${p.accepted}, advertised ${p.advertised}`);
  if (n.lastError !== null) {
    lines.push(`  Last error: ${n.lastError.reason} at ${new Date(n.lastError.at).toISOString()}`);
    if (n.lastError.notification !== null) lines.push(`    ${notificationText(n.lastError.notification)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** AS_PATH as gobgp prints it: sequence "1 2", set "{1 2}", confederation "(1 2)" / "[1 2]". */
export function asPathText(path: readonly AsPathSegmentView[]): string {
  return path
    .map((s) => {
      const body = s.asns.join(' ');
      if (s.type === 'set') return `{${body}}`;
      if (s.type === 'confed-sequence') return `(${body})`;
      if (s.type === 'confed-set') return `[${body}]`;
      return body;
    })
    .join(' ');
}

const ORIGIN_SHORT = { igp: 'i', egp: 'e', incomplete: '?' } as const;

/** The Attrs column: [{Origin: i} {Med: 10} {LocalPref: 100} {Communities: 65001:100} {LargeCommunity: 1:2:3}]. */
export function attrsText(p: PathView): string {
  const parts = [`{Origin: ${ORIGIN_SHORT[p.origin]}}`];
  if (p.med !== null) parts.push(`{Med: ${p.med}}`);
  if (p.localPref !== null) parts.push(`{LocalPref: ${p.localPref}}`);
  if (p.communities.length > 0) parts.push(`{Communities: ${p.communities.join(', ')}}`);
  if (p.largeCommunities.length > 0) parts.push(`{LargeCommunity: ${p.largeCommunities.join(', ')}}`);
  return `[${parts.join(' ')}]`;
}

function ageText(p: PathView): string {
  return p.ageS === null ? '-' : formatDuration(p.ageS);
}

/** A local route without a next hop shows the unspecified address, as gobgp does. */
function nextHopText(p: PathView): string {
  return p.nextHop ?? (p.family === 'ipv6-unicast' ? '::' : '0.0.0.0');
}

/** gobgp's marker: "*>" best, "*" ECMP members and other valid paths (-j tells them apart: multipath), "" ineligible ones; "S" before it: stale (graceful restart, as FRR marks it). */
function marker(p: PathView): string {
  const stale = p.stale ? 'S' : '';
  if (p.best) return `${stale}*>`;
  return p.valid ? `${stale}*` : stale;
}

/** `podnet global rib`, with the deciding reason of each best path. */
export function renderRib(ds: readonly DestinationView[]): string {
  if (ds.length === 0) return 'Network not in table\n';
  const rows: string[][] = [];
  for (const d of ds) {
    for (const p of d.paths) rows.push([marker(p), d.prefix, nextHopText(p), asPathText(p.asPath), ageText(p), attrsText(p), p.best ? (p.reason ?? '') : '']);
  }
  return table(['', 'Network', 'Next Hop', 'AS_PATH', 'Age', 'Attrs', 'Best because'], rows);
}

/** `podnet neighbor ADDR adj-in|adj-out` ("x" marks a path not eligible). */
export function renderAdj(paths: readonly PathView[]): string {
  if (paths.length === 0) return 'Network not in table\n';
  return table(
    ['', 'Network', 'Next Hop', 'AS_PATH', 'Age', 'Attrs'],
    paths.map((p) => [`${p.stale ? 'S' : ''}${p.valid ? '' : 'x'}`, p.prefix, nextHopText(p), asPathText(p.asPath), ageText(p), attrsText(p)]),
  );
}

/** `podnet global`. */
export function renderGlobal(g: GlobalView): string {
  const listen = g.listen.length === 0 ? 'not listening' : g.listen.map((l) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)).join(', ');
  return [
    `AS:        ${g.asn}`,
    `Router-ID: ${g.routerId}`,
    `Listening: ${listen}`,
    `Neighbors: ${g.neighbors} configured, ${g.established} established`,
    `Loc-RIB:   ${g.destinations['ipv4-unicast']} ipv4-unicast, ${g.destinations['ipv6-unicast']} ipv6-unicast destinations`,
    '',
  ].join('\n');
}
