import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import type { SecretBox } from '../storage/portal-store.js'

const VERSION = 'v1'

function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `invite-desk:${purpose}`, 32))
}

/**
 * AES-256-GCM sealing of tokens at rest. The key id travels with the ciphertext, so APP_SECRET can list an
 * old key after a new one and old rows still open while new writes use the current key.
 * Format: v1.<keyId>.<iv>.<ciphertext+tag> (base64url).
 */
export function createSecretBox(keys: Array<{ id: string; key: Buffer }>): SecretBox {
  if (keys.length === 0) throw new Error('createSecretBox needs at least one key')
  const derived = new Map(keys.map((k) => [k.id, deriveKey(k.key, 'seal')]))
  const current = keys[0]!.id
  return {
    seal(plain: string): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', derived.get(current)!, iv)
      cipher.setAAD(Buffer.from(`${VERSION}.${current}`))
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return [VERSION, current, iv.toString('base64url'), body.toString('base64url')].join('.')
    },
    open(sealed: string): string {
      const [version, keyId, ivText, bodyText] = sealed.split('.')
      const key = keyId === undefined ? undefined : derived.get(keyId)
      if (version !== VERSION || !key || !ivText || !bodyText) {
        // Deliberately vague: the value itself must not end up in a log line.
        throw new Error('sealed value has an unknown format or key id')
      }
      const body = Buffer.from(bodyText, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'))
      decipher.setAAD(Buffer.from(`${version}.${keyId}`))
      decipher.setAuthTag(body.subarray(body.length - 16))
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8')
    },
  }
}

/** A keyed hash for looking up bearer tokens without storing them. */
export function createTokenHasher(keys: Array<{ id: string; key: Buffer }>): (token: string) => string {
  const key = deriveKey(keys[0]!.key, 'session-id')
  return (token) => createHmac('sha256', key).update(token).digest('hex')
}
