// `podnet bgpd --config FILE`: the BGP speaker on its own, without
// Kubernetes, as gobgpd runs without kube-router. Reads a YAML/JSON file
// (src/bgpd/config.ts), starts the Speaker, its neighbours and originated
// prefixes, and serves the same root-only management socket as podnetd, so
// `podnet neighbor`, `podnet global rib` etc. work against it.
// Signals: SIGHUP reloads the file (an invalid file is logged and the running
// configuration stays; unchanged neighbours keep their sessions); SIGTERM and
// SIGINT shut down cleanly (Cease / Administrative Shutdown to every peer,
// RFC 4486 §4 and RFC 9003).
// Exit codes: 0 clean stop, 1 runtime failure (e.g. cannot bind), 2 usage or
// invalid configuration.
import { Speaker } from '../../bgp/index.ts';
import { registerBgpApi } from '../api/bgp.ts';
import { startMgmtApi, type MgmtApi } from '../api/server.ts';
import { createLogger, type Logger } from '../obs/log.ts';
import { applyConfig } from './apply.ts';
import { ConfigError, loadConfig, type BgpdConfig } from './config.ts';

const help = `Usage: podnet bgpd --config FILE [--socket PATH] [-v N]

Runs the podnet BGP speaker alone (no Kubernetes), like gobgpd.

Options:
  --config FILE   YAML or JSON configuration (router-id, asn, listen, peers, prefixes)
  --socket PATH   management socket (overrides api-socket; default /run/podnet/podnetd.sock)
  -v N            log verbosity: 0 info, 1 debug, 2 trace
  -h, --help      show this help

Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop.
`;

interface Args {
  readonly config: string;
  readonly socket: string | null;
  readonly verbosity: number;
}

function parseArgs(argv: readonly string[]): Args | string {
  let config: string | null = null;
  let socket: string | null = null;
  let verbosity = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (name: string): string | null => (a === name ? (argv[++i] ?? null) : a.startsWith(`${name}=`) ? a.slice(name.length + 1) : null);
    if (a === '-h' || a === '--help') return 'help';
    const c = value('--config');
    if (c !== null) {
      config = c;
      continue;
    }
    const s = value('--socket');
    if (s !== null) {
      socket = s;
      continue;
    }
    const v = value('-v') ?? value('--v');
    if (v !== null) {
      verbosity = Number(v);
      if (!Number.isInteger(verbosity) || verbosity < 0) return `-v must be a non-negative integer, got ${JSON.stringify(v)}`;
      continue;
    }
    return `unknown argument ${JSON.stringify(a)}`;
  }
  if (config === null) return '--config FILE is required';
  return { config, socket, verbosity };
}

/** Runs bgpd until SIGTERM/SIGINT; resolves to the exit code. */
export async function bgpdMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === 'help') {
    process.stdout.write(help);
    return 0;
  }
  if (typeof args === 'string') {
    process.stderr.write(`podnet bgpd: ${args}\n${help}`);
    return 2;
  }
  const log = createLogger(args.verbosity);
  let config: BgpdConfig;
  try {
    config = loadConfig(args.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`podnet bgpd: ${e.message}\n`);
    return 2;
  }
  const speaker = new Speaker({
    asn: config.asn,
    routerId: config.routerId,
    listen: config.listen,
    ...(config.gracefulRestart !== undefined ? { gracefulRestart: config.gracefulRestart } : {}),
    policies: config.policies,
    ebgpRequirePolicy: config.ebgpRequirePolicy,
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
  });
  let api: MgmtApi | null = null;
  try {
    await speaker.start();
    const result = await applyConfig(speaker, null, config);
    api = await startMgmtApi(args.socket ?? config.apiSocket);
    registerBgpApi(api, speaker);
    log.info({ asn: config.asn, routerId: config.routerId, listen: speaker.listening, socket: api.socketPath, peers: result.added, prefixes: result.originated }, 'bgpd running');
  } catch (e) {
    log.error({ err: e instanceof Error ? e.message : String(e) }, 'bgpd failed to start');
    await speaker.stop('bgpd failed to start').catch(() => undefined);
    await api?.close();
    return 1;
  }
  return serve(speaker, api, args.config, config, log);
}

/** Handles SIGHUP reloads (serialised) until a stop signal. */
function serve(speaker: Speaker, api: MgmtApi, file: string, initial: BgpdConfig, log: Logger): Promise<number> {
  let running = initial;
  let chain: Promise<void> = Promise.resolve();
  const reload = (): void => {
    chain = chain.then(async () => {
      let next: BgpdConfig;
      try {
        next = loadConfig(file);
      } catch (e) {
        const problems = e instanceof ConfigError ? e.problems : [e instanceof Error ? e.message : String(e)];
        log.error({ file, problems }, 'reload rejected: invalid configuration, keeping the running one');
        return;
      }
      try {
        const r = await applyConfig(speaker, running, next);
        running = next;
        if (r.needsRestart.length > 0) log.warn({ settings: r.needsRestart }, 'reload: these settings change only on restart');
        log.info({ ...r }, 'configuration reloaded');
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'reload failed part way; running with what was applied');
      }
    });
  };
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGHUP', reload);
      log.info({ signal }, 'bgpd stopping');
      void chain
        // with graceful restart, peers keep our routes until we are back (RFC 4724 §4.2)
        .then(() => speaker.stop(`podnet bgpd stopped (${signal})`, { restart: true }))
        .then(() => api.close())
        .then(
          () => resolve(0),
          (e: unknown) => {
            log.error({ err: e instanceof Error ? e.message : String(e) }, 'unclean stop');
            resolve(1);
          },
        );
    };
    process.on('SIGHUP', reload);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
