#!/usr/bin/env node
// podnetd entry point: the only place that sets the process exit code.
import { main } from '../main.ts';

process.exitCode = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
