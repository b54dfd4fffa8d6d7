/**
 * Packaging (README "Deploying"): the Dockerfile, deploy/compose.yaml, deploy/.env.example
 * and deploy/ivr-deflect.service keep their promises. CI has no Docker daemon, so the
 * Dockerfile and the compose file are read statically here; the image's health check
 * script and the environment the image sets are run for real against the server; the
 * systemd unit goes through systemd-analyze (skipped with a notice where it is missing).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { startNodeFlags } from '../bench/support';
import { ServerProcess, cleanUpProcesses, freePort, localServerEnv, waitUntilAnswering } from '../helpers/server-process';

jest.setTimeout(60_000);
afterEach(cleanUpProcesses);

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The server's own defaults: how long a SIGTERM may take before its last-resort exit. */
const DEFAULTS = loadConfig({}, ROOT);
const SHUTDOWN_SECONDS = (DEFAULTS.shutdownDrainMs + DEFAULTS.shutdownGraceMs) / 1000 + 5;

/** Names that hold secrets: none may get a value in a checked-in file. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASS$|KEY|SID|AUTH|HASH|CREDENTIAL|DATABASE_URL/;

// ---------------------------------------------------------------------------------------
// The Dockerfile, as instructions grouped by stage.

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  body: Instruction[];
}

function dockerStages(text: string): { args: Map<string, string>; stages: Stage[] } {
  // Comments go first (also inside a continued RUN), then continuation lines are joined.
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { op: op.toUpperCase(), args: rest };
    if (instruction.op === 'FROM') {
      const [image = '', as, name] = rest.split(/\s+/);
      const resolved = image.replace(/^\$\{(\w+)\}$/, (_m, arg: string) => args.get(arg) ?? '');
      stages.push({ from: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, body: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
    } else {
      stages.at(-1)?.body.push(instruction);
    }
  }
  return { args, stages };
}

/** The variables an ENV instruction sets (`ENV A=1 B=2`). */
function envNames(instruction: Instruction): string[] {
  return [...instruction.args.matchAll(/(\w+)=/g)].map((m) => m[1] ?? '');
}

const dockerfile = dockerStages(read('Dockerfile'));
const runtime = dockerfile.stages.at(-1) as Stage;
const inRuntime = (op: string) => runtime.body.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('builds in stages, every one on the Node major version package.json asks for, never "latest"', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const engineMajor = /(\d+)/.exec(JSON.parse(read('package.json')).engines.node)?.[1];
    for (const stage of dockerfile.stages) {
      expect(stage.from).toMatch(new RegExp(`^node:${engineMajor}-[a-z]+(-slim)?$`));
    }
    // The build's compiler and dev dependencies stay behind: the runtime copies from stages.
    expect(inRuntime('RUN').some((r) => /npm (ci|install)(?!.*--omit=dev)/.test(r.args))).toBe(false);
  });

  it('gets production dependencies only, installed on the runtime\'s own base image (better-sqlite3 is native)', () => {
    const copy = inRuntime('COPY').find((c) => /node_modules/.test(c.args));
    const from = /--from=(\S+)/.exec(copy?.args ?? '')?.[1];
    const source = dockerfile.stages.find((s) => s.name === from);
    expect(source).toBeDefined();
    expect(source?.from).toBe(runtime.from);
    expect(source?.body.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    // And it proves the binary loads before the image is finished.
    expect(source?.body.some((i) => i.op === 'RUN' && /require\('better-sqlite3'\)/.test(i.args))).toBe(true);
  });

  it('copies what the server reads at run time: dist/, templates/, campaigns/, the health check script', () => {
    const copies = inRuntime('COPY').map((c) => c.args);
    expect(copies.some((c) => /--from=\S+ \/app\/dist /.test(c))).toBe(true);
    for (const source of ['templates', 'campaigns', 'deploy/healthcheck.js', 'package.json']) {
      expect(copies.some((c) => c.split(/\s+/).includes(source))).toBe(true);
      expect(fs.existsSync(path.join(ROOT, source))).toBe(true);
    }
    // The server finds its templates beside dist/ (src/http/app.ts: ../../templates).
    expect(read('src/http/app.ts')).toMatch(/path\.resolve\(__dirname, '\.\.\/\.\.\/templates'\)/);
  });

  it('runs as a user other than root', () => {
    const user = inRuntime('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('keeps the SQLite file in a volume and listens where it says', () => {
    const env = new Map(inRuntime('ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]] as const)));
    expect(inRuntime('VOLUME').map((v) => v.args).join(' ')).toContain(`"${env.get('DATA_DIR')}"`);
    expect(inRuntime('EXPOSE').map((e) => e.args)).toEqual([env.get('PORT')]);
  });

  it('stops with SIGTERM, the signal that starts the graceful shutdown, and starts node itself', () => {
    expect(inRuntime('STOPSIGNAL').map((s) => s.args)).toEqual(['SIGTERM']);
    expect(read('src/main.ts')).toContain("process.once('SIGTERM'");
    const cmd = JSON.parse(inRuntime('CMD').at(-1)?.args ?? '[]') as string[];
    // `npm start` would run the TypeScript build first (prestart) and stand between the signal and node.
    expect(cmd[0]).toBe('node');
    expect(cmd).toContain('dist/main.js');
    // With npm start's Node flags: the memory and speed the README's Performance table measured.
    expect(cmd.filter((word) => word.startsWith('--'))).toEqual(startNodeFlags());
  });

  it('checks health with the Node script (the slim image has no curl)', () => {
    const check = inRuntime('HEALTHCHECK').at(-1)?.args ?? '';
    expect(check).toMatch(/CMD \["node", "deploy\/healthcheck\.js"\]/);
  });

  it('sets no secret in ENV or ARG, and only variables the server reads', () => {
    const envs = dockerfile.stages.flatMap((s) => s.body.filter((i) => i.op === 'ENV').flatMap(envNames));
    const args = [...dockerfile.args.keys(), ...dockerfile.stages.flatMap((s) => s.body.filter((i) => i.op === 'ARG').map((i) => i.args.split('=')[0] ?? ''))];
    expect([...envs, ...args].filter((name) => SECRET_NAME.test(name))).toEqual([]);
    expect(envs.filter((name) => name !== 'NODE_ENV' && !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  it('sends no secret, local data or host-built node_modules into the build (.dockerignore)', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // Everything is left out, then what the Dockerfile copies is let back in.
    expect(ignore[0]).toBe('*');
    const letIn = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    expect(letIn.filter((l) => /(^|\/)(\.env|node_modules|data|dist)$/.test(l))).toEqual([]);
    expect(ignore).toEqual(expect.arrayContaining(['**/.env', '**/*.db']));
    const contextSources = dockerfile.stages
      .flatMap((s) => s.body.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args)))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(contextSources.filter((source) => !letIn.some((l) => source === l || source.startsWith(`${l}/`)))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// The health check script and the image's environment, run for real.

function runNode(args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const healthcheck = (port: number) => runNode([path.join(ROOT, 'deploy/healthcheck.js')], { PORT: String(port) });

describe('the image\'s health check (deploy/healthcheck.js)', () => {
  it('passes against the running server', async () => {
    const port = await freePort();
    const server = new ServerProcess(localServerEnv(port, 'packaging-admin-token-0123456789'));
    await waitUntilAnswering(server, `http://127.0.0.1:${port}`);
    expect(await healthcheck(port)).toMatchObject({ code: 0 });
  });

  it('fails when nothing answers on the port', async () => {
    const result = await healthcheck(await freePort());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ECONNREFUSED/);
  });

  it('fails when /healthz answers anything but 200', async () => {
    const seen: string[] = [];
    const broken = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = broken.address() as import('node:net').AddressInfo;
      expect(await healthcheck(port)).toMatchObject({ code: 1 });
      expect(seen).toEqual(['/healthz']);
    } finally {
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});

describe('the image\'s environment', () => {
  it('refuses to start on every interface until the IVR is locked, naming HOST in one line', async () => {
    const env = new Map(inRuntime('ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? ''] as const)));
    expect(env.get('HOST')).toBe('0.0.0.0');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-packaging-'));
    try {
      // The image's variables, with only the folders moved to where this test may write.
      const server = new ServerProcess({ ...Object.fromEntries(env), PORT: String(await freePort()), DATA_DIR: dataDir, CAMPAIGNS_DIR: path.join(ROOT, 'campaigns') });
      const exit = await server.exitWithin(45_000);
      expect(exit.code).toBe(1);
      expect(server.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ivr-deflect: .*HOST: 0\.0\.0\.0 .*IVR_ALLOWED_CIDRS/)]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------
// deploy/compose.yaml and deploy/.env.example.

const compose = read('deploy/compose.yaml');

/** One service's block of compose.yaml (two-space indented under `services:`). */
function service(name: string): string {
  const match = new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)+)`, 'm').exec(compose);
  if (!match?.[1]) throw new Error(`no service ${name} in deploy/compose.yaml`);
  return match[1];
}

/** The `environment:` map of a service block: name → value as written. */
function environment(block: string): Map<string, string> {
  const section = /^    environment:\n((?:      .*\n)+)/m.exec(block)?.[1] ?? '';
  return new Map([...section.matchAll(/^      (?!#)(\w+): (.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

function envFileEntries(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

describe('deploy/compose.yaml', () => {
  it('runs PostgreSQL 16 with a health check, and the app starts once it is healthy', () => {
    const db = service('db');
    expect(db).toMatch(/^    image: postgres:16(-[a-z]+)?$/m);
    expect(db).toMatch(/^    healthcheck:\n      test: \["CMD", "pg_isready"/m);
    expect(service('app')).toMatch(/^    depends_on:\n      db:\n        condition: service_healthy$/m);
  });

  it('gives the app the server\'s own variable names, DATABASE_URL pointing at the db service', () => {
    const env = environment(service('app'));
    expect([...env.keys()].filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
    expect(env.get('DATABASE_URL')).toMatch(/^postgres:\/\/ivr_deflect:\$\{POSTGRES_PASSWORD:\?[^}]*\}@db:5432\/ivr_deflect$/);
    expect(service('app')).toMatch(/^    env_file: \.env$/m);
  });

  it('writes no secret in the file: each comes from deploy/.env, which git ignores', () => {
    for (const block of [service('db'), service('app')]) {
      for (const [name, value] of environment(block)) {
        if (!SECRET_NAME.test(name)) continue;
        // What is left once the ${...} are taken out: nothing, or a URL whose password was one.
        const literal = value.replace(/\$\{[^}]*\}/g, '');
        if (/^\w+:\/\//.test(literal)) expect([name, literal]).toEqual([name, expect.stringMatching(/^\w+:\/\/[^:@/]+:@/)]);
        else expect([name, literal]).toEqual([name, '']);
      }
    }
    const ignored = spawnSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: ROOT });
    expect(ignored.status).toBe(0);
  });

  it('gives the server as long to stop as its shutdown can take', () => {
    const seconds = Number(/^    stop_grace_period: (\d+)s$/m.exec(service('app'))?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(SHUTDOWN_SECONDS);
  });
});

describe('deploy/.env.example', () => {
  const entries = envFileEntries(read('deploy/.env.example'));

  it('names only variables the server or the compose file reads', () => {
    const composeOnly = [...compose.matchAll(/\$\{(\w+)/g)].map((m) => m[1]);
    expect([...entries.keys()].filter((name) => !CONFIG_VARIABLES.includes(name) && !composeOnly.includes(name))).toEqual([]);
  });

  it('leaves every secret blank (placeholders, never a usable value)', () => {
    const secrets = [...entries].filter(([name]) => SECRET_NAME.test(name));
    expect(secrets.map(([name]) => name)).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'ADMIN_TOKEN', 'IVR_SHARED_SECRET']));
    expect(secrets.filter(([, value]) => value !== '')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// deploy/ivr-deflect.service.

const UNIT = path.join(ROOT, 'deploy/ivr-deflect.service');
const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));
if (!systemdAnalyze) {
  process.stderr.write('\n*** NOTICE: systemd-analyze not found: deploy/ivr-deflect.service is NOT verified in this run (those tests are skipped). ***\n\n');
}
const withSystemd = systemdAnalyze ? it : it.skip;

function analyze(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(systemdAnalyze as string, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every `Key=value` of the unit, in order (a key may repeat). */
function unitSettings(text: string): Array<[string, string]> {
  return [...text.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']);
}

describe('deploy/ivr-deflect.service', () => {
  const unit = fs.readFileSync(UNIT, 'utf8');
  const settings = unitSettings(unit);
  const value = (key: string) => settings.filter(([k]) => k === key).map(([, v]) => v);

  withSystemd('passes systemd-analyze verify without a word about it', () => {
    const { status, output } = analyze('verify', UNIT);
    expect(status).toBe(0);
    expect(output.split('\n').filter((line) => line.includes('ivr-deflect'))).toEqual([]);
  });

  withSystemd('would be caught by that check with a misspelt directive or a missing program', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-unit-'));
    try {
      const broken = path.join(dir, 'ivr-deflect.service');
      fs.writeFileSync(broken, unit.replace('ProtectSystem=strict', 'ProtectSytem=strict'));
      expect(analyze('verify', broken).output).toMatch(/Unknown key 'ProtectSytem'/);
      fs.writeFileSync(broken, unit.replace(/^ExecStart=node /m, 'ExecStart=/nonexistent/node '));
      expect(analyze('verify', broken).status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  withSystemd('has a low exposure score in systemd-analyze security', () => {
    const { output } = analyze('security', '--offline=yes', '--no-pager', UNIT);
    const score = Number(/Overall exposure level for ivr-deflect\.service: (\d+\.\d)/.exec(output)?.[1]);
    // 10 is an unsandboxed service; 1.2 when written. A lost directive raises it.
    expect(score).toBeLessThanOrEqual(2);
  });

  it('sandboxes the server: its own user, no capabilities, a read-only system but for its state directory', () => {
    const expected: Record<string, string> = {
      DynamicUser: 'yes',
      NoNewPrivileges: 'yes',
      CapabilityBoundingSet: '',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallFilter: '@system-service',
    };
    for (const [key, want] of Object.entries(expected)) expect([key, value(key)]).toEqual([key, expect.arrayContaining([want])]);
    // V8's JIT needs pages it writes, then runs (nodejs/node#55509): the filter would abort Node.
    expect(value('MemoryDenyWriteExecute')).toEqual([]);
    // The folders the server writes are the ones systemd makes for it (%S is /var/lib).
    expect(value('StateDirectory').flatMap((v) => v.split(/\s+/))).toEqual(['ivr-deflect', 'ivr-deflect/campaigns']);
    expect(value('Environment')).toEqual(expect.arrayContaining(['DATA_DIR=%S/ivr-deflect/data', 'CAMPAIGNS_DIR=%S/ivr-deflect/campaigns']));
    // The project's .env.example as the EnvironmentFile overrides them with the same folders.
    expect(value('WorkingDirectory')).toEqual(['%S/ivr-deflect']);
    const example = envFileEntries(read('.env.example'));
    expect([example.get('DATA_DIR'), example.get('CAMPAIGNS_DIR')]).toEqual(['./data', './campaigns']);
    expect(value('EnvironmentFile')).toEqual(['/etc/ivr-deflect/ivr-deflect.env']);
  });

  it('runs node itself and gives SIGTERM as long as the shutdown can take', () => {
    expect(value('ExecStart')).toEqual([expect.stringMatching(/^node .*\/dist\/main\.js$/)]);
    // With npm start's Node flags: the memory and speed the README's Performance table measured.
    expect(value('ExecStart')[0]!.split(/\s+/).filter((word) => word.startsWith('--'))).toEqual(startNodeFlags());
    expect(value('KillSignal')).toEqual(['SIGTERM']);
    expect(Number(value('TimeoutStopSec')[0])).toBeGreaterThanOrEqual(SHUTDOWN_SECONDS);
    expect(value('Restart')).toEqual(['on-failure']);
  });

  it('sets only variables the server reads, and no secret', () => {
    const names = value('Environment').map((v) => v.split('=')[0] ?? '');
    expect(names.filter((name) => name !== 'NODE_ENV' && !CONFIG_VARIABLES.includes(name))).toEqual([]);
    expect(names.filter((name) => SECRET_NAME.test(name))).toEqual([]);
  });
});
