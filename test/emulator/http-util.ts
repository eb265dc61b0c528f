/** Small HTTP helpers shared by the portal, OAuth and hook servers. */
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Express } from 'express'
import { parseForm } from './form-encoding.js'

const BODY_LIMIT = 32 * 1024 * 1024

export async function readRawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buf.length
    if (size > BODY_LIMIT) throw new Error('request body too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export class BodyParseError extends Error {}

/**
 * Parses a request body the way the portal accepts it: JSON (what b24jssdk sends) or
 * form-urlencoded with qs-style brackets (what BX24.js, CRest and curl -d send).
 */
export function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw.trim()) return {}
  const ct = (contentType ?? '').toLowerCase()
  const looksJson = ct.includes('json') || (!ct.includes('urlencoded') && /^\s*[{[]/.test(raw))
  if (looksJson) {
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      throw new BodyParseError('invalid JSON body')
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {}
    return parsed as Record<string, unknown>
  }
  return parseForm(raw)
}

export function queryString(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}

export interface Listening {
  server: Server
  port: number
  close(): Promise<void>
}

/** Listens on 127.0.0.1 with an OS-chosen port; close() also drops keep-alive sockets. */
export function listen(app: Express): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>()
    const server = app.listen(0, '127.0.0.1', (err?: Error) => {
      if (err) {
        reject(err)
        return
      }
      const port = (server.address() as AddressInfo).port
      resolve({
        server,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      })
    })
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    server.on('error', reject)
  })
}
