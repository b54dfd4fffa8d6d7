/**
 * A dependency loaded the first time it is used, then kept.
 *
 * Why: every process (each `npm start`, each server a process test spawns, each jest test
 * file, which has its own module registry) pays for what it imports before it answers
 * anything. Libraries that only some deployments use (single sign-on's openid-client, the
 * AWS SDK, the PostgreSQL driver, ...) are loaded through this on their first use instead,
 * so a deployment that does not use them never pays. Configuration is parsed without them:
 * a bad value still stops start-up with its one line before anything is loaded.
 *
 * `load` is a function with `await import('...')` inside (compiled to a require() when it
 * runs), so the module's types stay checked as with a static import.
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
