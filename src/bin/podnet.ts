#!/usr/bin/env node
// podnet CLI entry point. `podnet lab ...` goes to the lab (src/lab/cli.ts,
// which needs root and no agent); `podnet bgpd ...` runs the standalone BGP
// daemon (src/bgpd/main.ts); every other command is the agent's client.
import { cliMain } from '../cli/main.ts';

const io = {
  out: (s: string): void => void process.stdout.write(s),
  err: (s: string): void => void process.stderr.write(s),
};
const argv = process.argv.slice(2);
if (argv[0] === 'lab') {
  const { labMain } = await import('../lab/cli.ts');
  process.exitCode = await labMain(argv.slice(1), io);
} else if (argv[0] === 'bgpd') {
  const { bgpdMain } = await import('../bgpd/main.ts');
  process.exitCode = await bgpdMain(argv.slice(1));
} else {
  process.exitCode = await cliMain(argv, io);
}
