import type { Config } from '../../config';
import { isLoopbackHost, ivrDoorOpen } from './ivr-door';

/**
 * The start-up security summary: each door this configuration leaves open, one log line
 * each, so an operator reading the start-up log sees the posture at a glance. Every door
 * names the setting that closes it. On loopback only this machine can connect: nothing
 * is open to the network, and the one line says so.
 */

export interface OpenDoor {
  /** A short stable name, for log queries. */
  door: string;
  /** The setting that closes it. */
  setting: string;
  message: string;
}

export function openDoors(config: Config): OpenDoor[] {
  if (isLoopbackHost(config.host)) return [];
  const doors: OpenDoor[] = [];
  const { ivrAccess, shortLinkRateLimit } = config.security;
  const ivrOpen = ivrDoorOpen(config.host, ivrAccess);
  if (ivrOpen) {
    doors.push({
      door: 'ivr-open',
      setting: 'IVR_ALLOWED_CIDRS or IVR_SHARED_SECRET',
      message: 'IVR_OPEN=true: anyone who reaches the port can walk calls under /vxml/ and have texts sent; set IVR_ALLOWED_CIDRS or IVR_SHARED_SECRET',
    });
  }
  // Only addresses outside IVR_ALLOWED_CIDRS use these budgets; with CIDRs set, they are refused anyway.
  if (ivrAccess.allowedCidrs.length === 0) {
    if (ivrAccess.rateLimits.start.other === 0) {
      doors.push({ door: 'ivr-start-unlimited', setting: 'IVR_START_RATE_LIMIT', message: 'IVR_START_RATE_LIMIT=0: one address may start any number of calls' });
    }
    if (ivrAccess.rateLimits.send.other === 0) {
      doors.push({ door: 'ivr-send-unlimited', setting: 'IVR_SEND_RATE_LIMIT', message: 'IVR_SEND_RATE_LIMIT=0: one address may have any number of texts sent' });
    }
  }
  if (!config.metricsToken) {
    doors.push({ door: 'metrics-open', setting: 'METRICS_TOKEN', message: '/metrics answers anyone who reaches the port: set METRICS_TOKEN' });
  }
  if (!config.publicBaseUrl.toLowerCase().startsWith('https:')) {
    const signIns = [config.adminToken ? 'the admin API (/api) token' : '', config.console.passwordHash ? 'the console (/admin) password and session' : '']
      .filter(Boolean)
      .join(' and ');
    if (signIns) {
      doors.push({
        door: 'admin-plain-http',
        setting: 'PUBLIC_BASE_URL',
        message: `${signIns} cross the network in clear text (PUBLIC_BASE_URL is not https): serve them behind TLS and set PUBLIC_BASE_URL to its https address`,
      });
    }
  }
  if (shortLinkRateLimit === 0) {
    doors.push({ door: 'short-links-unlimited', setting: 'SHORT_LINK_RATE_LIMIT', message: 'SHORT_LINK_RATE_LIMIT=0: one client may try any number of short-link codes' });
  }
  return doors;
}
