// One small cluster scenario per NetworkPolicy semantic the compiler handles,
// each with its golden output (test/fixtures/firewall/<name>.*) and packet
// checks run through the model interpreter (sim.ts).
import type { FirewallInput } from '../../firewall/compile.ts';
import type { Packet } from './sim.ts';
import { namespace, pod, policy } from './objects.ts';

export interface Expect {
  readonly packet: Packet;
  readonly verdict: 'accept' | 'deny' | 'continue';
  /** Family the packet belongs to. */
  readonly family?: 'inet' | 'inet6';
  /** NFLOG prefix expected when denied. */
  readonly log?: string;
  readonly why: string;
}

export interface Scenario {
  readonly name: string;
  readonly input: FirewallInput;
  readonly expect: readonly Expect[];
}

const NODE_IP = '198.18.0.1';
const GW = '10.244.1.1';
const local = [NODE_IP, GW, '127.0.0.1'];

function fwd(src: string, dst: string, dport: number, proto: Packet['proto'] = 'tcp'): Packet {
  return { hook: 'FORWARD', src, dst, dport, proto, local };
}

const WEB = '10.244.1.10';
const CLIENT = '10.244.1.11';
const OTHER = '10.244.1.12';
const REMOTE = '10.244.2.20';

const basePods = [
  pod('web', { ip: WEB, labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('client', { ip: CLIENT, labels: { role: 'client' } }),
  pod('other', { ip: OTHER, labels: { role: 'other' } }),
  pod('remote-client', { ip: REMOTE, node: 'node-b', labels: { role: 'client' } }),
];
const baseNamespaces = [namespace('default'), namespace('prod', { env: 'prod' }), namespace('frontend', { team: 'frontend' })];

function input(policies: FirewallInput['policies'], extra: Partial<FirewallInput> = {}): FirewallInput {
  return { nodeName: 'node-a', podCidrs: ['10.244.1.0/24'], pods: basePods, namespaces: baseNamespaces, policies, ...extra };
}

const allowClientToWeb = policy('allow-client', 'default', {
  podSelector: { matchLabels: { app: 'web' } },
  ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
});

export const scenarios: readonly Scenario[] = [
  {
    name: 'ingress-pod-selector',
    input: input([allowClientToWeb]),
    expect: [
      { packet: fwd(CLIENT, WEB, 8080), verdict: 'continue', why: 'selected peer on the allowed port passes' },
      { packet: fwd(REMOTE, WEB, 8080), verdict: 'continue', why: 'peers on other nodes are in the pod set' },
      { packet: fwd(OTHER, WEB, 8080), verdict: 'deny', log: 'PODNET DROP IN default/web', why: 'unselected peer is dropped and logged' },
      { packet: fwd(CLIENT, WEB, 9090), verdict: 'deny', why: 'other port is dropped' },
      { packet: { ...fwd(OTHER, WEB, 8080), ct: 'ESTABLISHED' }, verdict: 'accept', why: 'replies/established accepted early' },
      { packet: { ...fwd(OTHER, WEB, 8080), ct: 'INVALID' }, verdict: 'deny', why: 'invalid conntrack state dropped' },
      { packet: fwd(WEB, OTHER, 9999), verdict: 'continue', why: 'ingress-only policy leaves egress unrestricted' },
      { packet: fwd(OTHER, CLIENT, 1), verdict: 'continue', why: 'a pod no policy selects is not restricted' },
      { packet: { ...fwd(NODE_IP, WEB, 9090), hook: 'OUTPUT' }, verdict: 'continue', why: 'the node may always reach its pods (unpoliced, not accepted)' },
      { packet: fwd(WEB, WEB, 9090), verdict: 'continue', why: 'a pod may talk to itself' },
    ],
  },
  {
    name: 'egress-default-policy-types',
    input: input([
      policy('client-egress', 'default', {
        podSelector: { matchLabels: { role: 'client' } },
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }],
      }),
    ]),
    expect: [
      { packet: fwd(CLIENT, WEB, 8080), verdict: 'continue', why: 'allowed egress destination' },
      { packet: fwd(CLIENT, OTHER, 8080), verdict: 'deny', log: 'PODNET DROP EG default/client', why: 'other destination' },
      { packet: fwd(CLIENT, WEB, 8080, 'udp'), verdict: 'deny', why: 'protocol defaults to TCP' },
      { packet: { ...fwd(CLIENT, NODE_IP, 22), hook: 'INPUT' }, verdict: 'continue', why: 'a pod may always reach its own node' },
      { packet: { ...fwd(CLIENT, OTHER, 80), hook: 'OUTPUT' }, verdict: 'deny', why: 'egress is policed in OUTPUT too (after IPVS DNAT)' },
      { packet: fwd(OTHER, CLIENT, 80), verdict: 'deny', log: 'PODNET DROP IN default/client', why: 'no policyTypes + egress rules = Ingress and Egress; no ingress rules deny all ingress' },
    ],
  },
  {
    name: 'policy-types-explicit',
    input: input([
      policy('deny-egress', 'default', { podSelector: { matchLabels: { role: 'other' } }, policyTypes: ['Egress'] }),
      policy('allow-all-in', 'default', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Ingress'], ingress: [{}] }),
      policy('deny-all-in', 'default', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [] }),
    ]),
    expect: [
      { packet: fwd(OTHER, CLIENT, 80), verdict: 'deny', log: 'PODNET DROP EG default/other', why: 'Egress with no rules denies all egress' },
      { packet: fwd(CLIENT, OTHER, 80), verdict: 'continue', why: 'egress-only policy leaves ingress unrestricted' },
      { packet: fwd(REMOTE, CLIENT, 1234, 'udp'), verdict: 'continue', why: 'ingress [{}] allows everything' },
      { packet: fwd(CLIENT, WEB, 8080), verdict: 'deny', why: 'ingress [] denies everything' },
    ],
  },
  {
    name: 'namespace-selector',
    input: input(
      [
        policy('from-frontend', 'prod', {
          podSelector: {},
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'frontend' } } }] }],
        }),
      ],
      {
        pods: [
          ...basePods,
          pod('api', { ns: 'prod', ip: '10.244.1.13', labels: { app: 'api' } }),
          pod('fe', { ns: 'frontend', ip: '10.244.2.30', node: 'node-b' }),
        ],
      },
    ),
    expect: [
      { packet: fwd('10.244.2.30', '10.244.1.13', 443), verdict: 'continue', why: 'any pod of a selected namespace' },
      { packet: fwd(CLIENT, '10.244.1.13', 443), verdict: 'deny', log: 'PODNET DROP IN prod/api', why: 'pod of another namespace' },
    ],
  },
  {
    name: 'pod-and-namespace-selector',
    input: input(
      [
        policy('combined', 'default', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
                  podSelector: {
                    matchExpressions: [
                      { key: 'tier', operator: 'Exists' },
                      { key: 'role', operator: 'NotIn', values: ['other'] },
                      { key: 'legacy', operator: 'DoesNotExist' },
                    ],
                  },
                },
              ],
            },
          ],
        }),
      ],
      {
        pods: [
          ...basePods,
          pod('p-ok', { ns: 'prod', ip: '10.244.2.40', node: 'node-b', labels: { tier: 'be' } }),
          pod('p-other', { ns: 'prod', ip: '10.244.2.41', node: 'node-b', labels: { tier: 'be', role: 'other' } }),
          pod('p-legacy', { ns: 'prod', ip: '10.244.2.42', node: 'node-b', labels: { tier: 'be', legacy: 'y' } }),
          pod('p-notier', { ns: 'prod', ip: '10.244.2.43', node: 'node-b' }),
          pod('d-tier', { ip: '10.244.2.44', node: 'node-b', labels: { tier: 'be' } }),
        ],
      },
    ),
    expect: [
      { packet: fwd('10.244.2.40', WEB, 80), verdict: 'continue', why: 'namespace In and pod Exists/NotIn/DoesNotExist all hold' },
      { packet: fwd('10.244.2.41', WEB, 80), verdict: 'deny', why: 'NotIn fails' },
      { packet: fwd('10.244.2.42', WEB, 80), verdict: 'deny', why: 'DoesNotExist fails' },
      { packet: fwd('10.244.2.43', WEB, 80), verdict: 'deny', why: 'Exists fails' },
      { packet: fwd('10.244.2.44', WEB, 80), verdict: 'deny', why: 'namespace In fails (AND of both selectors)' },
    ],
  },
  {
    name: 'ipblock-except',
    input: input(
      [
        policy('blocks', 'default', {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ from: [{ ipBlock: { cidr: '198.18.0.0/16', except: ['198.18.5.0/24'] } }, { ipBlock: { cidr: 'fd00:1::/64' } }] }],
          egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }, { ipBlock: { cidr: '::/0', except: ['fd00:9::/64'] } }] }],
        }),
      ],
      { pods: [pod('web', { ips: [WEB, 'fd00:244:1::10'], labels: { app: 'web' } }), ...basePods.slice(1)] },
    ),
    expect: [
      { packet: fwd('198.18.7.7', WEB, 80), verdict: 'continue', why: 'inside the block' },
      { packet: fwd('198.18.5.7', WEB, 80), verdict: 'deny', why: 'inside an except (nomatch)' },
      { packet: fwd('198.19.0.1', WEB, 80), verdict: 'deny', why: 'outside the block' },
      { packet: fwd(WEB, '203.0.113.9', 443), verdict: 'continue', why: '/0 split into halves matches everything' },
      { packet: fwd(WEB, OTHER, 443), verdict: 'deny', why: 'except 10.0.0.0/8' },
      { family: 'inet6', packet: fwd('fd00:1::5', 'fd00:244:1::10', 80), verdict: 'continue', why: 'v6 block in the v6 chains' },
      { family: 'inet6', packet: fwd('fd00:2::5', 'fd00:244:1::10', 80), verdict: 'deny', why: 'v6 outside the block' },
      { family: 'inet6', packet: fwd('fd00:244:1::10', 'fd00:9::1', 80), verdict: 'deny', why: 'v6 except' },
      { family: 'inet6', packet: fwd('fd00:244:1::10', '2001:db8::1', 80), verdict: 'continue', why: 'v6 /0 halves' },
    ],
  },
  {
    name: 'named-ports',
    input: input(
      [
        policy('http-in', 'default', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }] }],
        }),
        policy('client-http-out', 'default', {
          podSelector: { matchLabels: { role: 'client' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }] }],
        }),
      ],
      {
        pods: [
          ...basePods,
          pod('web2', { ip: '10.244.1.20', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 9090 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
          pod('web3', { ip: '10.244.2.21', node: 'node-b', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 7070 }] }),
        ],
      },
    ),
    expect: [
      { packet: fwd(OTHER, WEB, 8080), verdict: 'continue', why: 'http is 8080 on web' },
      { packet: fwd(OTHER, WEB, 9090), verdict: 'deny', why: '9090 is not http on web' },
      { packet: fwd(OTHER, '10.244.1.20', 9090), verdict: 'continue', why: 'http is 9090 on web2' },
      { packet: fwd(OTHER, '10.244.1.20', 8080), verdict: 'deny', why: '8080 is not http on web2' },
      { packet: fwd(CLIENT, '10.244.2.21', 7070), verdict: 'continue', why: 'egress: resolved on the remote destination pod' },
      { packet: fwd(CLIENT, WEB, 7070), verdict: 'deny', why: 'egress: 7070 is not http on web' },
      { packet: fwd(CLIENT, '10.244.1.20', 5353, 'udp'), verdict: 'continue', why: 'UDP named port' },
      { packet: fwd(CLIENT, WEB, 5353, 'udp'), verdict: 'deny', why: 'web has no dns port' },
    ],
  },
  {
    name: 'ports-ranges-protocols',
    input: input([
      policy('ports', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            ports: [
              { protocol: 'TCP', port: 8000, endPort: 8100 },
              { protocol: 'UDP', port: 53 },
              { protocol: 'SCTP', port: 3868 },
              { protocol: 'UDP' },
            ],
          },
        ],
      }),
    ]),
    expect: [
      { packet: fwd(OTHER, WEB, 8000), verdict: 'continue', why: 'range start' },
      { packet: fwd(OTHER, WEB, 8100), verdict: 'continue', why: 'range end (inclusive)' },
      { packet: fwd(OTHER, WEB, 8101), verdict: 'deny', why: 'past endPort' },
      { packet: fwd(OTHER, WEB, 3868, 'sctp'), verdict: 'continue', why: 'SCTP port' },
      { packet: fwd(OTHER, WEB, 3869, 'sctp'), verdict: 'deny', why: 'other SCTP port' },
      { packet: fwd(OTHER, WEB, 12345, 'udp'), verdict: 'continue', why: 'protocol-only UDP' },
      { packet: fwd(OTHER, WEB, 53), verdict: 'deny', why: 'TCP 53 not allowed' },
    ],
  },
  {
    name: 'union-of-policies',
    input: input([
      allowClientToWeb,
      policy('allow-other', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'other' } } }], ports: [{ port: 9090 }] }],
      }),
    ]),
    expect: [
      { packet: fwd(CLIENT, WEB, 8080), verdict: 'continue', why: 'first policy' },
      { packet: fwd(OTHER, WEB, 9090), verdict: 'continue', why: 'second policy' },
      { packet: fwd(OTHER, WEB, 8080), verdict: 'deny', why: 'neither' },
      { packet: fwd(CLIENT, WEB, 9090), verdict: 'deny', why: 'neither (rules do not mix across policies)' },
    ],
  },
  {
    name: 'pod-eligibility',
    input: input(
      [
        policy('all-default', 'default', {
          podSelector: {},
          ingress: [{ from: [{ podSelector: {} }] }],
        }),
      ],
      {
        pods: [
          ...basePods,
          pod('hostnet', { ip: NODE_IP, hostNetwork: true }),
          pod('done', { ip: '10.244.1.50', phase: 'Succeeded' }),
          pod('failed', { ip: '10.244.1.51', phase: 'Failed' }),
          pod('starting', { phase: 'Pending' }),
          pod('pending-ip', { ip: '10.244.1.52', phase: 'Pending' }),
        ],
      },
    ),
    expect: [
      { packet: fwd('10.244.1.52', WEB, 80), verdict: 'continue', why: 'a Pending pod with an IP is a peer' },
      { packet: fwd('10.244.1.50', WEB, 80), verdict: 'deny', why: 'a Succeeded pod is no peer' },
      { packet: fwd('10.244.1.51', WEB, 80), verdict: 'deny', why: 'a Failed pod is no peer' },
      { packet: fwd('198.18.0.2', WEB, 80), verdict: 'deny', why: 'host-network pods are not pod-set members' },
      { packet: fwd(WEB, REMOTE, 80), verdict: 'continue', why: 'remote pods get no chains here' },
    ],
  },
  {
    name: 'default-deny',
    input: input([allowClientToWeb], { options: { defaultDeny: true } }),
    expect: [
      { packet: fwd('10.244.1.99', OTHER, 80), verdict: 'deny', log: 'PODNET DROP unprogrammed src', why: 'unprogrammed local pod source' },
      { packet: fwd(REMOTE, '10.244.1.99', 80), verdict: 'deny', log: 'PODNET DROP unprogrammed dst', why: 'unprogrammed local pod destination' },
      { packet: fwd(OTHER, CLIENT, 80), verdict: 'continue', why: 'programmed, unselected pods are unrestricted' },
      { packet: { ...fwd(OTHER, GW, 53, 'udp'), hook: 'INPUT' }, verdict: 'continue', why: 'pods reach the node on its pod-CIDR gateway' },
      { packet: { ...fwd(NODE_IP, '10.244.1.99', 80), hook: 'OUTPUT' }, verdict: 'continue', why: 'node traffic is not policed' },
      { packet: { ...fwd('10.244.1.99', GW, 80), hook: 'INPUT', ct: 'ESTABLISHED' }, verdict: 'continue', why: "replies to the node's connections pass" },
      { packet: { ...fwd('10.244.1.99', GW, 80), hook: 'INPUT' }, verdict: 'deny', why: 'new connections from an unprogrammed pod to the node wait' },
      { packet: fwd(OTHER, WEB, 8080), verdict: 'deny', why: 'policies still apply' },
    ],
  },
  {
    name: 'logging-options',
    input: input([allowClientToWeb], { options: { nflogGroup: 7, denyAction: 'DROP', nflogPerMinute: 30, nflogBurst: 5 } }),
    expect: [{ packet: fwd(OTHER, WEB, 8080), verdict: 'deny', log: 'PODNET DROP IN default/web', why: 'dropped with the configured group' }],
  },
  {
    name: 'dual-stack',
    input: input([allowClientToWeb], {
      podCidrs: ['10.244.1.0/24', 'fd00:244:1::/64'],
      pods: [
        pod('web', { ips: [WEB, 'fd00:244:1::10'], labels: { app: 'web' } }),
        pod('client', { ips: [CLIENT, 'fd00:244:1::11'], labels: { role: 'client' } }),
        pod('other', { ips: [OTHER, 'fd00:244:1::12'], labels: { role: 'other' } }),
        pod('v6only', { ips: ['fd00:244:2::20'], node: 'node-b', labels: { role: 'client' } }),
      ],
    }),
    expect: [
      { family: 'inet6', packet: fwd('fd00:244:1::11', 'fd00:244:1::10', 8080), verdict: 'continue', why: 'v6 peer' },
      { family: 'inet6', packet: fwd('fd00:244:2::20', 'fd00:244:1::10', 8080), verdict: 'continue', why: 'v6-only remote peer' },
      { family: 'inet6', packet: fwd('fd00:244:1::12', 'fd00:244:1::10', 8080), verdict: 'deny', log: 'PODNET DROP IN default/web', why: 'v6 unselected peer' },
      { packet: fwd(CLIENT, WEB, 8080), verdict: 'continue', why: 'v4 peer' },
    ],
  },
];
