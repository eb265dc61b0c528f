import { existsSync } from 'node:fs'
import { z } from 'zod'

/**
 * The application's configuration: read and validated once at start.
 * NOTE: this is the only module that reads process.env (see loadConfig); everything else receives AppConfig.
 */
export interface AppConfig {
  /** @default 3000 */
  port: number
  /** Public base URL the portal calls (install, iframe, events, robots), without a trailing slash. */
  appUrl: string
  clientId: string
  clientSecret: string
  /** The only OAuth server that ever receives the client secret. @default https://oauth.bitrix.info */
  oauthUrl: string
  /** '' = SQLite under ./data (embedded default); postgres://… = PostgreSQL. */
  databaseUrl: string
  /** @default ./data/invite-desk.sqlite */
  sqlitePath: string
  /** Keys for sealing tokens and hashing sessions; the first is current, the rest still open old ciphertexts. */
  secretKeys: Array<{ id: string; key: Buffer }>
  /** Local emulators only: lets portal endpoints be plain http. */
  allowHttpPortals: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** App sessions issued after AUTH_ID verification. @default 900 (15 min) */
  sessionTtlSec: number
  /**
   * Express's `trust proxy`: which hops' X-Forwarded-For to believe for the client's address (the join pages'
   * per-address limits). A hop count or a list of addresses/subnets. @default loopback
   */
  trustProxy: string | number
  /** Bearer token for GET /metrics (Prometheus); null: the endpoint answers 404. */
  metricsToken: string | null
  production: boolean
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const PLACEHOLDER_SECRETS = new Set(['change-me', 'changeme', 'secret', ''])

const url = (name: string) =>
  z
    .string({ message: `${name} is required` })
    .trim()
    .min(1, `${name} is required`)
    .refine((v) => URL.canParse(v), `${name} must be an absolute URL`)
    .transform((v) => v.replace(/\/+$/, ''))

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  APP_URL: url('APP_URL'),
  B24_CLIENT_ID: z.string({ message: 'B24_CLIENT_ID is required' }).trim().min(1, 'B24_CLIENT_ID is required'),
  B24_CLIENT_SECRET: z.string({ message: 'B24_CLIENT_SECRET is required' }).min(1, 'B24_CLIENT_SECRET is required'),
  B24_OAUTH_URL: url('B24_OAUTH_URL').default('https://oauth.bitrix.info'),
  DATABASE_URL: z
    .string()
    .trim()
    .default('')
    .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'DATABASE_URL must be empty (SQLite) or postgres://…'),
  SQLITE_PATH: z.string().trim().default('./data/invite-desk.sqlite'),
  APP_SECRET: z
    .string({ message: 'APP_SECRET is required' })
    .min(1, 'APP_SECRET is required')
    .refine(
      (v) => parseSecretKeys(v).every((k) => k.raw.length >= 32),
      'APP_SECRET must be at least 32 characters (or a comma-separated list id:secret, each ≥ 32 characters)',
    ),
  APP_ALLOW_HTTP_PORTALS: z.enum(['0', '1', '']).default('').transform((v) => v === '1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_SEC: z.coerce.number().int().min(60).max(86_400).default(900),
  TRUST_PROXY: z.string().trim().default('loopback'),
  METRICS_TOKEN: z.string().trim().default('').refine((v) => v === '' || v.length >= 24, 'METRICS_TOKEN must be empty (no /metrics) or at least 24 characters'),
  NODE_ENV: z.string().default('development'),
})

/** `APP_SECRET` is either one secret or `id1:secret1,id2:secret2` (first = current) so keys can rotate. */
function parseSecretKeys(value: string): Array<{ id: string; raw: string }> {
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean)
  if (parts.length === 1 && !/^[A-Za-z0-9_-]{1,16}:/.test(parts[0]!)) return [{ id: 'k1', raw: parts[0]! }]
  return parts.map((p) => {
    const i = p.indexOf(':')
    return { id: p.slice(0, i), raw: p.slice(i + 1) }
  })
}

export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => i.message))
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  const problems: string[] = []
  if (production && PLACEHOLDER_SECRETS.has(e.B24_CLIENT_SECRET)) problems.push('B24_CLIENT_SECRET is a placeholder')
  if (production && e.APP_ALLOW_HTTP_PORTALS) problems.push('APP_ALLOW_HTTP_PORTALS=1 is for local emulators only')
  if (!e.APP_ALLOW_HTTP_PORTALS && !e.B24_OAUTH_URL.startsWith('https://')) {
    problems.push('B24_OAUTH_URL must be https (set APP_ALLOW_HTTP_PORTALS=1 only for a local emulator)')
  }
  if (problems.length) throw new ConfigError(problems)

  const keys = parseSecretKeys(e.APP_SECRET)
  const ids = new Set(keys.map((k) => k.id))
  if (ids.size !== keys.length) throw new ConfigError(['APP_SECRET key ids must be unique'])

  return {
    port: e.PORT,
    appUrl: e.APP_URL,
    clientId: e.B24_CLIENT_ID,
    clientSecret: e.B24_CLIENT_SECRET,
    oauthUrl: e.B24_OAUTH_URL,
    databaseUrl: e.DATABASE_URL,
    sqlitePath: e.SQLITE_PATH,
    secretKeys: keys.map((k) => ({ id: k.id, key: Buffer.from(k.raw, 'utf8') })),
    allowHttpPortals: e.APP_ALLOW_HTTP_PORTALS,
    logLevel: e.LOG_LEVEL,
    sessionTtlSec: e.SESSION_TTL_SEC,
    trustProxy: /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY || 'loopback',
    metricsToken: e.METRICS_TOKEN || null,
    production,
  }
}

/* eslint-disable no-process-env -- the one place the environment is read */
export function loadConfig(envFile = '.env'): AppConfig {
  // A local .env is a convenience for `npm start`; real deployments set the environment.
  if (existsSync(envFile)) process.loadEnvFile(envFile)
  return parseConfig(process.env)
}
