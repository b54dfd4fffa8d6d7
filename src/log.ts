import pino, { type Logger } from 'pino';
import type { Config } from './config';
import { currentCallFields } from './observability/call-context';
import { errorSerializer, redactChildBindings, redactLogObject } from './log-redaction';

/**
 * JSON logs on stdout. Every line written while working for a call (its IVR requests,
 * its texts' attempts) carries callId, and platformCallId when the IVR sent one: one
 * filter finds a call's whole story. Phone numbers are masked where they are logged
 * (maskNumber); redaction (log-redaction.ts, on the line and on a child's bindings) is the
 * safety net for anything that carries credentials.
 */
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'ivr-deflect' },
    mixin: currentCallFields,
    formatters: { log: redactLogObject, bindings: redactLogObject },
    serializers: { err: errorSerializer },
  };
  return redactChildBindings(destination ? pino(options, destination) : pino(options));
}
