import { spawn } from 'node:child_process';
import { compiledPath } from './compiled-src';

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CLI under src/ as a user would, from its JavaScript compiled by the test run's
 * globalSetup (test/helpers/compiled-src.ts): plain Node starts in a third of the time
 * tsx's loader takes. `stdin` is piped in and closed.
 */
export function runScript(script: string, args: string[], stdin = ''): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiledPath(script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
