import pino, { type Logger } from 'pino';
import type { Config } from './config';

/**
 * JSON logs on stdout. Phone numbers are masked where they are logged (maskNumber);
 * redaction is the safety net for anything that carries credentials.
 */
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'ivr-deflect' },
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'adminToken'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
