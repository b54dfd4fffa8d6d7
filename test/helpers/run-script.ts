import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

// tsx's loader in a plain Node child: one process, and an absolute URL works from any cwd.
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

/** Runs a TypeScript entry point (a CLI) as a user would; `stdin` is piped in and closed. */
export function runScript(script: string, args: string[], stdin = ''): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
