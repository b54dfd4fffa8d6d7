import { isIP } from 'node:net';
import type { IvrAccessSettings } from './settings';

/**
 * The IVR door is locked by default. Anyone who can fetch /vxml/ can walk calls and have
 * the brand text any number (SMS pumping), so a server reachable from other machines
 * must say who the VoiceXML platform is (IVR_ALLOWED_CIDRS), or make its start URL carry
 * a secret (IVR_SHARED_SECRET), or be told the door stays open on purpose (IVR_OPEN).
 * On loopback only this machine can call: a developer's `npm start` needs none of them.
 */

/** Whether only this machine can connect to a server listening on `host`. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  // 0.0.0.0, ::, a public address, or a host name we cannot judge without resolving it.
  return false;
}

/** Whether /vxml/ is served to anyone who can reach the port (no lock, not loopback). */
export function ivrDoorOpen(host: string, access: IvrAccessSettings): boolean {
  return !isLoopbackHost(host) && access.allowedCidrs.length === 0 && !access.sharedSecret;
}

/** The start-up refusal when the door would be open without IVR_OPEN; undefined when it may start. */
export function ivrDoorProblem(host: string, access: IvrAccessSettings): string | undefined {
  if (!ivrDoorOpen(host, access) || access.openOnPurpose) return undefined;
  return (
    `HOST: ${host} lets any machine that reaches the port walk IVR calls and send texts; ` +
    'set IVR_ALLOWED_CIDRS to the VoiceXML platform\'s networks (e.g. 192.0.2.0/24) or IVR_SHARED_SECRET, ' +
    'or IVR_OPEN=true to serve /vxml/ to everyone on purpose, or HOST=127.0.0.1 to listen on this machine only'
  );
}
