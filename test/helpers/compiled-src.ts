import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as TypeScript from 'typescript';

/**
 * The server and its CLIs as the process tests start them: src/ compiled to JavaScript
 * once per test run (jest's globalSetup), then run by plain Node, as `npm start` runs
 * dist/. Started through tsx's loader instead, each child spent about 2.5 s of its
 * start-up loading the TypeScript (3.8 s against 1.2 s to the same point, on the shared
 * 2-core machine), and the suite starts about a hundred of them.
 *
 * The output sits in dist-test/ at the project root, beside src/, so the code's
 * `__dirname`-relative paths (templates/, campaigns/, ../shared) resolve as they do from
 * dist/. It is never stale: every run recompiles each file whose JavaScript differs, and
 * removes the JavaScript of sources that are gone. Each file is compiled on its own,
 * without type checking, as ts-jest compiles the tests (`npm run typecheck` checks types).
 */

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');
export const COMPILED_DIR = path.join(ROOT, 'dist-test');

/** The compiled JavaScript of a file under src/ (e.g. src/main.ts → dist-test/main.js). */
export function compiledPath(tsFile: string): string {
  const relative = path.relative(SRC, tsFile);
  if (relative.startsWith('..') || !relative.endsWith('.ts')) throw new Error(`${tsFile} is not a TypeScript file under src/`);
  return path.join(COMPILED_DIR, relative.replace(/\.ts$/, '.js'));
}

/** As tsconfig.json / tsconfig.build.json compile for dist/. */
function compilerOptions(ts: typeof TypeScript): TypeScript.CompilerOptions {
  return { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, resolveJsonModule: true, isolatedModules: true };
}

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f));
}

/**
 * Compiles src/ into dist-test/, skipping each source whose content is unchanged since it
 * was last compiled (dist-test/sources.json keeps each source's hash): transpiling all 280
 * files takes about 7 s, hashing them a fraction of a second.
 */
export function compileSrc(): { compiled: number; unchanged: number } {
  let compiled = 0;
  let unchanged = 0;
  const manifestFile = path.join(COMPILED_DIR, 'sources.json');
  const before = readManifest(manifestFile);
  const after: Record<string, string> = {};
  const wanted = new Set<string>();
  // Loaded only when a source changed: loading the compiler takes a good part of a second.
  let ts: typeof TypeScript | undefined;
  for (const file of sources(SRC)) {
    const out = compiledPath(file);
    wanted.add(out);
    const source = fs.readFileSync(file, 'utf8');
    const key = path.relative(SRC, file);
    const hash = createHash('sha256').update(source).digest('hex');
    after[key] = hash;
    if (before[key] === hash && fs.existsSync(out)) {
      unchanged++;
      continue;
    }
    ts ??= require('typescript') as typeof TypeScript;
    writeWhole(out, ts.transpileModule(source, { compilerOptions: compilerOptions(ts), fileName: file }).outputText);
    compiled++;
  }
  for (const f of fs.readdirSync(COMPILED_DIR, { recursive: true, encoding: 'utf8' })) {
    const full = path.join(COMPILED_DIR, f);
    if (f.endsWith('.js') && !wanted.has(full)) fs.rmSync(full, { force: true });
  }
  writeWhole(manifestFile, JSON.stringify(after));
  return { compiled, unchanged };
}

function readManifest(file: string): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * Written whole, then renamed: another jest run (npm test beside npm run test:faults)
 * starting a child meanwhile never reads half a file.
 */
function writeWhole(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
}
