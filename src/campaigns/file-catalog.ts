import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { removeFileDurably, writeFileAtomic } from './atomic-write';
import { invalid, prepareDocument, registryOf, versionOf, type Good, type Invalid, type Prepared } from './catalog-documents';
import type { CampaignCatalog, CampaignCheck, CampaignEntry, ChangeOptions, FileProblem, SaveResult } from './catalog';
import { CampaignError, CampaignRegistry, isCampaignFile, type CampaignLookup } from './registry';
import { documentProblems } from './document-limits';
import { LastGoodCopies } from './last-good';
import { CampaignSchema, type Campaign } from './schema';

export interface FileCampaignCatalogOptions {
  /** The campaigns folder: one campaign per *.json file. */
  dir: string;
  /** Checks that need the environment, run on every version before it goes into service. */
  check: CampaignCheck;
  log: Logger;
  /** Re-read the folder by itself after hand edits (default true). */
  watch?: boolean;
  /** Quiet time after the last change in the folder before it is re-read (default 150 ms). */
  debounceMs?: number;
  /** Where each file's last good copy is kept (default `<dir>/.last-good`). */
  lastGoodDir?: string;
}


/** What the catalog knows about one file of the folder. */
interface FileState {
  file: string;
  /** Version of the file's current content, as last read or written. */
  seen: string;
  /** The version in service; none for a file that never validated. */
  good?: Good;
  /** Why the current content is not the version in service. */
  problems: string[];
  /** The content and problems last logged, so a bad file that stays bad is logged once. */
  reported?: string;
  /** The bytes of good, when they were just read or written: kept as the file's last good copy. */
  content?: Buffer | string;
}

type Files = ReadonlyMap<string, FileState>;

type Action = 'created' | 'updated' | 'activated' | 'deactivated' | 'removed' | 'added';

/**
 * The campaigns folder as the catalog: hand-edited files and changes made through the
 * catalog end up in the same place, the files, and the read side (resolve, get, all) is
 * a CampaignRegistry replaced as a whole on every change, so a call sees the old set of
 * campaigns or the new one, never a mix.
 *
 * Changes through the catalog are validated like a file at start-up, written atomically
 * and serialised; hand edits are picked up by watching the folder, and a file that stops
 * validating keeps its last good version in service rather than taking a campaign away
 * from callers.
 */
export class FileCampaignCatalog implements CampaignCatalog {
  private files: Files = new Map();
  private registry = new CampaignRegistry([]);
  /** Writes, and re-reads asked for while a write runs, one after the other. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    private readonly check: CampaignCheck,
    private readonly log: Logger,
    private readonly lastGood: LastGoodCopies,
  ) {}

  /**
   * Loads every file of the folder the way a reload does, starting from the last good
   * copies kept by earlier runs (as a reload starts from the versions in service): a file
   * that fails validation is logged and serves its last good copy, or nothing if it has
   * none, and the other files serve as usual.
   *
   * Throws CampaignError, listing each problem of each file, only when the folder cannot be
   * read or it holds campaign files and not one of them can serve: that is a bad deploy,
   * and an instance answering every call with "not available" would hide it.
   */
  static open(options: FileCampaignCatalogOptions): FileCampaignCatalog {
    const lastGood = new LastGoodCopies(options.lastGoodDir ?? path.join(options.dir, '.last-good'), options.log);
    const catalog = new FileCampaignCatalog(options.dir, options.check, options.log, lastGood);
    catalog.seed();
    catalog.refresh(false);
    const states = [...catalog.files.values()];
    if (states.length > 0 && catalog.all().length === 0) throw new CampaignError(states.flatMap((state) => state.problems));
    if (options.watch ?? true) catalog.watch(options.debounceMs ?? 150);
    options.log.info({ campaigns: catalog.all().map((c) => c.id) }, 'campaigns loaded');
    return catalog;
  }

  resolve(rawDnis: string): CampaignLookup {
    return this.registry.resolve(rawDnis);
  }

  get(id: string): Campaign | undefined {
    return this.registry.get(id);
  }

  all(): readonly Campaign[] {
    return this.registry.all();
  }

  entries(): CampaignEntry[] {
    return inFileOrder(this.files).flatMap((state) => (state.good ? [entryOf(state, state.good)] : []));
  }

  entry(id: string): CampaignEntry | undefined {
    const state = this.stateOf(id);
    return state && entryOf(state, state.good);
  }

  fileProblems(): FileProblem[] {
    return inFileOrder(this.files).flatMap((state) => (state.good ? [] : [{ file: state.file, problems: [...state.problems] }]));
  }

  create(document: unknown): Promise<SaveResult> {
    return this.serial(async () => {
      const prepared = this.prepare(document);
      if (prepared.kind === 'invalid') return prepared;
      const { id } = prepared.good.campaign;
      // The schema allows only [a-z0-9-] in ids, so an id is always a safe file name.
      const file = `${id}.json`;
      if (this.registry.get(id)) return { kind: 'conflict', message: `a campaign with id ${id} already exists` };
      if (this.files.has(file) || fs.existsSync(path.join(this.dir, file))) {
        return { kind: 'conflict', message: `the campaigns folder already has a file ${file}` };
      }
      return this.put(file, prepared, 'created', 'dnis');
    });
  }

  update(id: string, document: unknown, options: ChangeOptions = {}): Promise<SaveResult> {
    return this.serial(async () => {
      const target = this.target(id, options);
      if ('kind' in target) return target;
      const prepared = this.prepare(document, id);
      if (prepared.kind === 'invalid') return prepared;
      return this.put(target.file, prepared, 'updated', 'dnis');
    });
  }

  setActive(id: string, active: boolean, options: ChangeOptions = {}): Promise<SaveResult> {
    return this.serial(async () => {
      const target = this.target(id, options);
      if ('kind' in target) return target;
      // Only "active" changes: the rest stays as its author wrote it (key order, $schema,
      // values left to their defaults).
      const prepared = this.prepare({ ...target.good.document, active }, id);
      if (prepared.kind === 'invalid') return prepared;
      return this.put(target.file, prepared, active ? 'activated' : 'deactivated', 'active');
    });
  }

  remove(id: string, options: ChangeOptions = {}): Promise<SaveResult> {
    return this.serial(async () => {
      const target = this.target(id, options);
      if ('kind' in target) return target;
      const next = new Map(this.files);
      next.delete(target.file);
      // Taking a campaign away cannot make the others clash, so this never throws.
      const registry = new CampaignRegistry(campaignsOf(next));
      await removeFileDurably(path.join(this.dir, target.file));
      this.publish(next, registry);
      this.lastGood.forget(target.file);
      this.logChange(id, target.file, 'removed', 'catalog');
      return { kind: 'saved', entry: entryOf(target, target.good) };
    });
  }

  reload(): void {
    if (this.queued > 0) {
      // Mid-write the folder and the catalog disagree until the write is published; the
      // re-read waits for it instead of taking our own change for a hand edit.
      void this.serial(async () => this.refresh(true)).catch((err: unknown) => this.logReloadFailure(err));
      return;
    }
    this.refresh(true);
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** The file holding campaign id in service, or why a change to it cannot go ahead. */
  private target(id: string, options: ChangeOptions): (FileState & { good: Good }) | SaveResult {
    const state = this.stateOf(id);
    if (!state) return { kind: 'not-found' };
    if (options.ifMatch !== undefined && options.ifMatch !== state.good.version) {
      return {
        kind: 'conflict',
        message: `campaign ${id} has changed: the version in service is ${state.good.version}, not ${options.ifMatch}`,
        currentVersion: state.good.version,
      };
    }
    return state;
  }

  private stateOf(id: string): (FileState & { good: Good }) | undefined {
    for (const state of this.files.values()) {
      if (state.good?.campaign.id === id) return state as FileState & { good: Good };
    }
    return undefined;
  }

  private prepare(document: unknown, keepId?: string): Prepared | Invalid {
    return prepareDocument(document, this.check, keepId);
  }

  /** Writes a prepared version to file and puts it in service, unless it clashes with the other campaigns. */
  private async put(file: string, prepared: Prepared, action: Action, clashField: 'dnis' | 'active'): Promise<SaveResult> {
    const state: FileState = { file, seen: prepared.good.version, good: prepared.good, problems: [] };
    const next = new Map(this.files).set(file, state);
    const registry = registryOf(campaignsOf(next));
    if (Array.isArray(registry)) return invalid(registry.map((message) => ({ field: clashField, message })));
    await writeFileAtomic(path.join(this.dir, file), prepared.text);
    this.publish(next, registry);
    this.lastGood.keep(file, prepared.text);
    this.logChange(prepared.good.campaign.id, file, action, 'catalog');
    return { kind: 'saved', entry: entryOf(state, prepared.good) };
  }

  /** Runs task after every write queued before it (a promise chain as the mutex). */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.tail.then(task).finally(() => {
      this.queued--;
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The last good copies of the folder's files as the versions in service before the first
   * read, each checked again (the environment may have changed) and taken in file order
   * while it fits with those before it. Copies of files deleted meanwhile are dropped.
   */
  private seed(): void {
    const present = listCampaignFiles(this.dir);
    this.lastGood.prune(new Set(present));
    const seeded = new Map<string, FileState>();
    for (const file of present) {
      const bytes = this.lastGood.read(file);
      if (!bytes) continue;
      const parsed = parseCampaignFile(file, bytes, this.check);
      const problems = Array.isArray(parsed) ? parsed : [];
      if (!Array.isArray(parsed)) {
        const state: FileState = { file, seen: parsed.version, good: parsed, problems: [] };
        const clash = registryOf(campaignsOf(new Map(seeded).set(file, state)));
        if (!Array.isArray(clash)) {
          seeded.set(file, state);
          continue;
        }
        problems.push(...clash);
      }
      this.log.warn({ file, dir: this.lastGood.dir, problems }, 'the last good copy of a campaign file cannot serve: not used');
    }
    this.files = seeded;
  }

  /** Re-reads the folder; report logs what changed (not at start-up: everything is new). Invalid files are always logged. */
  private refresh(report: boolean): void {
    const next = new Map<string, FileState>();
    const candidates: FileState[] = [];
    for (const file of listCampaignFiles(this.dir)) {
      const scanned = this.scan(file);
      if (!scanned) continue;
      next.set(file, scanned.state);
      if (scanned.candidate) candidates.push(scanned.candidate);
    }
    settle(next, candidates);
    const registry = new CampaignRegistry(campaignsOf(next));
    if (report) this.logFolderChanges(this.files, next);
    this.reportProblems(next);
    const before = this.files;
    this.publish(next, registry);
    this.keepLastGood(before, next);
  }

  /** Files that now load cleanly become their last good copy; deleted files lose theirs. */
  private keepLastGood(before: Files, after: Files): void {
    for (const state of after.values()) {
      if (state.good && state.problems.length === 0 && state.content !== undefined) this.lastGood.keep(state.file, state.content);
    }
    for (const file of before.keys()) if (!after.has(file)) this.lastGood.forget(file);
  }

  /**
   * One file's current content. state is the file as it stays unless candidate (its new
   * content, valid on its own) fits with the other campaigns. Nothing when it is gone.
   */
  private scan(file: string): { state: FileState; candidate?: FileState } | undefined {
    const old = this.files.get(file);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(this.dir, file));
    } catch (err) {
      // Deleted between the listing and the read: the same as not listed.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      const problems = [`${file}: cannot read the file (${(err as Error).message})`];
      return { state: { file, seen: '', good: old?.good, problems, reported: old?.reported } };
    }
    const seen = versionOf(bytes);
    const state: FileState = { file, seen, good: old?.good, problems: [], reported: old?.reported };
    if (old?.good?.version === seen) return { state };
    const parsed = parseCampaignFile(file, bytes, this.check);
    if (Array.isArray(parsed)) return { state: { ...state, problems: parsed } };
    return { state, candidate: { ...state, good: parsed, content: bytes } };
  }

  private publish(files: Files, registry: CampaignRegistry): void {
    this.files = files;
    this.registry = registry;
  }

  private watch(debounceMs: number): void {
    // Not persistent: watching campaigns must not keep a process alive that is otherwise done.
    this.watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
      // Our temporary files, the JSON Schema, editors' backups: none of them is a campaign.
      if (name && !isCampaignFile(name)) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reloadFromWatcher(), debounceMs);
    });
    this.watcher.on('error', (err) => this.log.error({ err, dir: this.dir }, 'watching the campaigns folder failed'));
  }

  private reloadFromWatcher(): void {
    try {
      this.reload();
    } catch (err) {
      this.logReloadFailure(err);
    }
  }

  private logReloadFailure(err: unknown): void {
    this.log.error({ err, dir: this.dir }, 'cannot re-read the campaigns folder; the campaigns in service stay');
  }

  private logFolderChanges(before: Files, after: Files): void {
    for (const file of new Set([...before.keys(), ...after.keys()])) {
      const was = before.get(file)?.good;
      const now = after.get(file)?.good;
      if (was?.version === now?.version) continue;
      const sameId = was?.campaign.id === now?.campaign.id;
      // A hand edit that changes the id takes the old campaign away and adds a new one.
      if (was && !sameId) this.logChange(was.campaign.id, file, 'removed', 'file');
      if (now) this.logChange(now.campaign.id, file, sameId ? 'updated' : 'added', 'file');
    }
  }

  /** Logs each file that does not validate, once for as long as its content and problems stay the same. */
  private reportProblems(files: Map<string, FileState>): void {
    for (const [file, state] of files) {
      const reported = state.problems.length ? `${state.seen}\n${state.problems.join('\n')}` : undefined;
      if (reported && reported !== state.reported) {
        const inService = state.good
          ? `its last good version of campaign ${state.good.campaign.id} serves until it is fixed`
          : 'not in service: its numbers get the not-available answer until it is fixed';
        this.log.error(
          { file, path: path.join(this.dir, file), status: state.good ? 'last-good' : 'broken', campaign: state.good?.campaign.id, problems: state.problems },
          `campaign file is invalid: ${inService}`,
        );
      }
      files.set(file, { ...state, reported });
    }
  }

  /** Changes are logged by id and action only: a campaign's numbers stay out of the logs. */
  private logChange(campaign: string, file: string, action: Action, source: 'catalog' | 'file'): void {
    this.log.info({ campaign, file, action, source }, `campaign ${action}`);
  }
}

/**
 * Puts the valid new contents in service: all together when they fit together (a hand
 * edit may move a number from one file to another), else one by one in file order, each
 * that clashes with those already in keeping its last good version and saying why.
 */
function settle(next: Map<string, FileState>, candidates: readonly FileState[]): void {
  const together = new Map(next);
  for (const candidate of candidates) together.set(candidate.file, candidate);
  if (!Array.isArray(registryOf(campaignsOf(together)))) {
    for (const candidate of candidates) next.set(candidate.file, candidate);
    return;
  }
  for (const candidate of candidates) {
    const { file } = candidate;
    const clash = registryOf(campaignsOf(new Map(next).set(file, candidate)));
    if (Array.isArray(clash)) {
      next.set(file, { ...candidate, good: next.get(file)?.good, content: undefined, problems: clash.map((p) => `${file}: ${p}`) });
    } else {
      next.set(file, candidate);
    }
  }
}

/** The file names of the folder's campaign files, in name order. */
function listCampaignFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter(isCampaignFile).sort();
  } catch (err) {
    throw new CampaignError([`${dir}: cannot read the campaigns folder (${(err as Error).message})`]);
  }
}

/**
 * One file's campaign, or its problems worded for people (file name,
 * field path, message), with the environment's check added.
 */
function parseCampaignFile(file: string, bytes: Buffer, check: CampaignCheck): Good | string[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return [`${file}: not valid JSON (${(err as Error).message})`];
  }
  const unsafe = documentProblems(json);
  if (unsafe.length) return unsafe.map((p) => `${file}: ${p.path.join('.') || '(file)'}: ${p.message}`);
  const parsed = CampaignSchema.safeParse(json);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => `${file}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  const problems = check(parsed.data);
  if (problems.length) return problems.map((problem) => `${file}: ${problem}`);
  return { document: json as Record<string, unknown>, campaign: parsed.data, version: versionOf(bytes) };
}

function inFileOrder(files: Files): FileState[] {
  return [...files.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function campaignsOf(files: Files): Campaign[] {
  return inFileOrder(files).flatMap((state) => (state.good ? [state.good.campaign] : []));
}

function entryOf(state: FileState, good: Good): CampaignEntry {
  return {
    id: good.campaign.id,
    file: state.file,
    // A copy: a caller editing it must not change what setActive writes back.
    document: structuredClone(good.document),
    campaign: good.campaign,
    version: good.version,
    status: state.problems.length ? 'last-good' : 'ok',
    problems: [...state.problems],
  };
}
