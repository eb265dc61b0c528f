import { describe, expect, it } from 'vitest'
import { createSecretBox, createTokenHasher } from '../../server/trust/secret-box.js'
import { safeEqual } from '../../server/trust/safe-equal.js'

const k = (id: string, c: string) => ({ id, key: Buffer.from(c.repeat(32)) })

describe('secret box (tokens at rest)', () => {
  it('seals to a versioned, key-tagged ciphertext that does not contain the plaintext', () => {
    const box = createSecretBox([k('k1', 'a')])
    const sealed = box.seal('access-token-123')
    expect(sealed).toMatch(/^v1\.k1\./)
    expect(sealed).not.toContain('access-token-123')
    expect(box.open(sealed)).toBe('access-token-123')
    expect(box.seal('same')).not.toBe(box.seal('same'))
  })

  it('opens values sealed with an older key after rotation, and writes with the new one', () => {
    const old = createSecretBox([k('k1', 'a')])
    const sealedOld = old.seal('t1')
    const rotated = createSecretBox([k('k2', 'b'), k('k1', 'a')])
    expect(rotated.open(sealedOld)).toBe('t1')
    expect(rotated.seal('t2')).toMatch(/^v1\.k2\./)
  })

  it('refuses tampered ciphertext, unknown key ids and junk without echoing the value', () => {
    const box = createSecretBox([k('k1', 'a')])
    const sealed = box.seal('secret-value')
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3]!, 'base64url')
    body[0] = body[0]! ^ 1
    expect(() => box.open([...parts.slice(0, 3), body.toString('base64url')].join('.'))).toThrow()
    expect(() => box.open(sealed.replace('.k1.', '.k9.'))).toThrow(/unknown format or key id/)
    try {
      box.open('v1.k1.not-a-secret-xyz')
      expect.unreachable()
    } catch (e) {
      expect(String(e)).not.toContain('not-a-secret-xyz')
    }
  })

  it('hashes session tokens with a key (same input, same id; different key, different id)', () => {
    const h1 = createTokenHasher([k('k1', 'a')])
    const h2 = createTokenHasher([k('k1', 'b')])
    expect(h1('tok')).toBe(h1('tok'))
    expect(h1('tok')).not.toBe(h2('tok'))
    expect(h1('tok')).not.toContain('tok')
  })
})

describe('safeEqual', () => {
  it('matches only identical non-empty strings', () => {
    expect(safeEqual('abc', 'abc')).toBe(true)
    expect(safeEqual('abc', 'abd')).toBe(false)
    expect(safeEqual('abc', 'abcd')).toBe(false)
    expect(safeEqual('', '')).toBe(false)
    expect(safeEqual(undefined, 'abc')).toBe(false)
    expect(safeEqual(['abc'], 'abc')).toBe(false)
    expect(safeEqual('abc', null)).toBe(false)
  })
})
