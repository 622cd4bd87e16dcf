// The podnet CLI: inspects a running agent over its management socket, the
// way gobgp inspects gobgpd. Human tables by default, JSON with -j.
import { ApiClientError, apiRequest, defaultSocket } from '../api/client.ts';
import { renderStatus } from './status.ts';
import type { AgentStatus } from './status.ts';

export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

const help = `Usage: podnet [--socket PATH] [-j] COMMAND

Commands:
  status          controllers, their health and last sync, and the caches

Options:
  --socket PATH   management socket of the agent (default ${defaultSocket})
  -j, --json      print JSON instead of tables
  -h, --help      show this help
`;

export async function cliMain(argv: readonly string[], io: CliIo): Promise<number> {
  let socket = defaultSocket;
  let json = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-h' || a === '--help') {
      io.out(help);
      return 0;
    } else if (a === '-j' || a === '--json') json = true;
    else if (a === '--socket') socket = argv[++i] ?? '';
    else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else if (a.startsWith('-')) {
      io.err(`podnet: unknown option ${a}\n${help}`);
      return 2;
    } else words.push(a);
  }
  const [cmd] = words;
  try {
    switch (cmd) {
      case 'status': {
        const st = (await apiRequest(socket, 'GET', '/v1/status')) as AgentStatus;
        io.out(json ? `${JSON.stringify(st, null, 2)}\n` : renderStatus(st));
        return st.health.healthy ? 0 : 1;
      }
      case undefined:
        io.err(help);
        return 2;
      default:
        io.err(`podnet: unknown command "${cmd}"\n${help}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ApiClientError) {
      io.err(`podnet: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
