/**
 * Outgoing POSTs made by the portal: events (api-reference/events/index.md: "Bitrix24 sends a request
 * with content-type application/x-www-form-urlencoded", nested keys with brackets) and robot calls.
 * One attempt each: "No retries. If your server does not respond or returns an error, the Bitrix24
 * queue server will log the failure but will not resend the event."
 */
import { parseForm, stringifyForm } from './form-encoding.js'
import type { DeliveryRecord } from './state.js'

/** The queue server does not wait forever; the docs give no figure, 15 s is the emulator's choice. */
const DELIVERY_TIMEOUT_MS = 15_000

export async function deliver(input: {
  kind: 'event' | 'robot'
  name: string
  url: string
  clientId: string
  payload: Record<string, unknown>
  at: number
}): Promise<DeliveryRecord> {
  const body = stringifyForm(input.payload)
  const record: DeliveryRecord = {
    at: input.at,
    kind: input.kind,
    name: input.name,
    url: input.url,
    clientId: input.clientId,
    // What a qs-style receiver sees: every scalar is a string.
    payload: parseForm(body),
    body,
    status: 0,
  }
  try {
    const res = await fetch(input.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Bitrix24 Webhook Engine' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    })
    record.status = res.status
    await res.arrayBuffer().catch(() => undefined)
    if (res.status >= 400) record.error = `HTTP ${res.status}`
  } catch (e) {
    record.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  }
  return record
}
