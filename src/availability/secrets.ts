/**
 * Campaign files name tokens as {secret:NAME} instead of holding them; the values come
 * from CAMPAIGN_SECRET_NAME in the environment (the config strips the prefix, so the map
 * here is keyed by NAME).
 */

export type Secrets = Readonly<Record<string, string>>;

const SECRET_REF = /\{secret:([A-Za-z0-9_]+)\}/g;

/** Every secret a value names, once each, so start-up can refuse a campaign naming an unset one. */
export function secretNamesIn(value: string): string[] {
  return [...new Set(Array.from(value.matchAll(SECRET_REF), (m) => m[1]!))];
}

/**
 * Throws on an unset secret rather than sending the header without it: a request with a
 * blank token fails at the vendor in a way that looks like a wrong token, not a missing one.
 * The message names the secret, never a value.
 */
export function resolveSecrets(value: string, secrets: Secrets): string {
  return value.replace(SECRET_REF, (_ref, name: string) => {
    const secret = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
    if (secret === undefined) throw new Error(`secret ${name} is not set (CAMPAIGN_SECRET_${name})`);
    return secret;
  });
}

/** The headers with every {secret:NAME} replaced by its value. */
export function resolveHeaders(headers: Readonly<Record<string, string>>, secrets: Secrets): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) resolved[name] = resolveSecrets(value, secrets);
  return resolved;
}

/**
 * Error details are logged and stored; an endpoint that echoes the request back (a proxy's
 * "bad token: ..." page) must not carry the token into them.
 */
export function redact(text: string, secretValues: readonly string[]): string {
  let out = text;
  for (const value of secretValues) out = out.split(value).join('[secret]');
  return out;
}
