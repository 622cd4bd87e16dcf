// Structured logs (pino) with kube-router's -v levels: 0 info, 1 debug
// (sync durations), 2+ trace (restore payloads, per-rule detail).
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function levelForVerbosity(v: number): 'info' | 'debug' | 'trace' {
  if (v <= 0) return 'info';
  if (v === 1) return 'debug';
  return 'trace';
}

export function createLogger(verbosity: number, dest?: DestinationStream): Logger {
  const opts = { level: levelForVerbosity(verbosity), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return dest === undefined ? pino(opts, pino.destination(2)) : pino(opts, dest);
}

/** A logger that drops everything (tests, CLI). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
