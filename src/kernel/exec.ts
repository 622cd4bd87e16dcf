// The only place podnet spawns a process (iptables-restore, ipset, ip -batch,
// nft ...). Input goes on stdin; a non-zero exit becomes an ExecError that
// keeps the command, its exit code and its stderr.
import { spawn } from 'node:child_process';

export class ExecError extends Error {
  readonly command: string;
  readonly code: number | null;
  readonly stderr: string;
  constructor(command: string, code: number | null, stderr: string) {
    super(`${command}: exit ${code ?? 'signal'}: ${stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
    this.command = command;
    this.code = code;
    this.stderr = stderr;
  }
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 30_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new ExecError(`${cmd} ${args.join(' ')}`, null, e.message)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ExecError(`${cmd} ${args.slice(0, 4).join(' ')}`, code, stderr));
    });
    child.stdin.on('error', () => {
      // the process exited before reading its input; 'close' reports why
    });
    child.stdin.end(opts.input ?? '');
  });
}
