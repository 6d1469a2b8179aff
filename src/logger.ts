/**
 * The process logger. Credentials travel in query strings (`usersig`, `Sign`), so URLs are
 * scrubbed before they are logged, and secret-bearing fields (the TURN secret and TURN credentials
 * included) are redacted wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

const SECRET_QUERY = /([?&](?:usersig|Sign|sig|token)=)[^&#]*/gi;

/** Replaces credential query values in a URL with `[redacted]`. */
export function scrubUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[redacted]');
}

/** Creates the pino logger at `level`, writing to stdout unless `destination` is given. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          ...['secretKey', 'webhookSecret', 'token', 'userSig', 'turnSecret'].flatMap((key) => [key, `*.${key}`]),
          // TURN credentials, in a getIceServers answer or a configuration's iceServers.
          'iceServers[*].credential',
          '*.iceServers[*].credential',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: scrubUrl(req.url), ip: req.ip }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
