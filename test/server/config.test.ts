import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../server/config/config.js'

const base = {
  APP_URL: 'https://desk.example.com/',
  B24_CLIENT_ID: 'local.abc',
  B24_CLIENT_SECRET: 'real-secret-value',
  APP_SECRET: 'x'.repeat(40),
}

describe('config', () => {
  it('applies documented defaults and trims the app URL', () => {
    const c = parseConfig(base)
    expect(c.port).toBe(3000)
    expect(c.appUrl).toBe('https://desk.example.com')
    expect(c.oauthUrl).toBe('https://oauth.bitrix.info')
    expect(c.databaseUrl).toBe('')
    expect(c.allowHttpPortals).toBe(false)
    expect(c.secretKeys).toHaveLength(1)
  })

  it('fails fast naming every missing variable', () => {
    try {
      parseConfig({})
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      const msg = (e as Error).message
      for (const name of ['APP_URL', 'B24_CLIENT_ID', 'B24_CLIENT_SECRET', 'APP_SECRET']) expect(msg).toContain(name)
    }
  })

  it('refuses a short APP_SECRET, a non-postgres DATABASE_URL and an http OAuth server', () => {
    expect(() => parseConfig({ ...base, APP_SECRET: 'short' })).toThrow(/APP_SECRET must be at least 32/)
    expect(() => parseConfig({ ...base, DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/)
    expect(() => parseConfig({ ...base, B24_OAUTH_URL: 'http://127.0.0.1:9' })).toThrow(/B24_OAUTH_URL must be https/)
    expect(parseConfig({ ...base, B24_OAUTH_URL: 'http://127.0.0.1:9', APP_ALLOW_HTTP_PORTALS: '1' }).oauthUrl).toBe('http://127.0.0.1:9')
  })

  it('refuses placeholders and the emulator switch in production', () => {
    expect(() => parseConfig({ ...base, NODE_ENV: 'production', B24_CLIENT_SECRET: 'change-me' })).toThrow(/placeholder/)
    expect(() => parseConfig({ ...base, NODE_ENV: 'production', APP_ALLOW_HTTP_PORTALS: '1' })).toThrow(/local emulators only/)
  })

  it('reads a rotation list of keys, current first', () => {
    const c = parseConfig({ ...base, APP_SECRET: `k2:${'b'.repeat(32)},k1:${'a'.repeat(32)}` })
    expect(c.secretKeys.map((k) => k.id)).toEqual(['k2', 'k1'])
    expect(() => parseConfig({ ...base, APP_SECRET: `k1:${'b'.repeat(32)},k1:${'a'.repeat(32)}` })).toThrow(/unique/)
  })
})
