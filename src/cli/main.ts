// The podnet CLI: inspects a running agent over its management socket, the
// way gobgp inspects gobgpd. Human tables by default, JSON with -j.
import { ApiClientError, apiRequest, defaultSocket } from '../api/client.ts';
import { UsageError, globalCommand, neighborCommand, type BgpCommandOptions } from './bgp.ts';
import { renderStatus } from './status.ts';
import type { AgentStatus } from './status.ts';

export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

const help = `Usage: podnet [--socket PATH] [-j] COMMAND

Commands:
  status                          controllers, their health and last sync, and the caches
  neighbor                        BGP neighbours: Peer, AS, Up/Down, State, #Received, #Accepted
  neighbor ADDR                   one neighbour: session, capabilities, counters, last error
  neighbor ADDR adj-in|adj-out    routes received from / advertised to it (-a ipv4|ipv6)
  neighbor ADDR reset|softreset|softreset-in|softreset-out|shutdown|enable [-m MESSAGE]
  global                          the speaker: AS, router id, listeners
  global rib [PREFIX|ADDRESS]     the Loc-RIB (-a ipv4|ipv6), best path marked *> with its reason
  bgpd --config FILE              run the BGP speaker alone (see podnet bgpd --help)
  lab up|status|check|exec|down   the virtual cluster in network namespaces (see podnet lab --help)

Options:
  --socket PATH   management socket of the agent (default $PODNET_SOCKET, else ${defaultSocket};
                  \`podnet lab exec NODE\` sets PODNET_SOCKET to that node's agent)
  -j, --json      print JSON instead of tables
  -a FAMILY       address family for RIB views: ipv4 or ipv6
  -m MESSAGE      shutdown communication for reset/shutdown (RFC 9003)
  -h, --help      show this help
`;

export async function cliMain(argv: readonly string[], io: CliIo): Promise<number> {
  let socket = process.env['PODNET_SOCKET'] ?? defaultSocket;
  let json = false;
  let family: string | null = null;
  let message: string | null = null;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-h' || a === '--help') {
      io.out(help);
      return 0;
    } else if (a === '-j' || a === '--json') json = true;
    else if (a === '--socket') socket = argv[++i] ?? '';
    else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else if (a === '-a' || a === '--address-family') family = argv[++i] ?? '';
    else if (a === '-m' || a === '--message') message = argv[++i] ?? '';
    else if (a.startsWith('-')) {
      io.err(`podnet: unknown option ${a}\n${help}`);
      return 2;
    } else words.push(a);
  }
  const [cmd, ...rest] = words;
  const bgp: BgpCommandOptions = { socket, json, family, message };
  try {
    switch (cmd) {
      case 'status': {
        const st = (await apiRequest(socket, 'GET', '/v1/status')) as AgentStatus;
        io.out(json ? `${JSON.stringify(st, null, 2)}\n` : renderStatus(st));
        return st.health.healthy ? 0 : 1;
      }
      case 'neighbor':
      case 'neighbors':
        io.out(await neighborCommand(rest, bgp));
        return 0;
      case 'global':
        io.out(await globalCommand(rest, bgp));
        return 0;
      case undefined:
        io.err(help);
        return 2;
      default:
        io.err(`podnet: unknown command "${cmd}"\n${help}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`podnet: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiClientError) {
      io.err(`podnet: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
