#!/usr/bin/env node
// podnet CLI entry point.
import { cliMain } from '../cli/main.ts';

process.exitCode = await cliMain(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
