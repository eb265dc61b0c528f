import pino, { type Logger } from 'pino'

export type { Logger }

/**
 * Every field name under which a credential can travel. pino censors them wherever they appear
 * (top level, one or two levels deep), so a careless `log.info({ body })` cannot leak a token.
 */
const SECRET_KEYS = [
  'access_token', 'refresh_token', 'application_token', 'client_secret', 'auth', 'AUTH_ID', 'REFRESH_ID',
  'APPLICATION_TOKEN', 'accessToken', 'refreshToken', 'applicationToken', 'clientSecret', 'authId', 'token',
  'authorization', 'Authorization', 'cookie', 'password', 'secret',
]
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
]

export function createLogger(opts: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  )
}
