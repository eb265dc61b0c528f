/**
 * The public join page: plain server-rendered HTML in Russian or English, no script at all (it works in any
 * browser a QR code opens, and its Content-Security-Policy allows nothing but its own style). Everything a
 * person typed is escaped.
 */
import { createHash } from 'node:crypto'
import type { Opened, PageLink, Refusal, Submitted } from './join-intake.js'

export type PageLang = 'ru' | 'en'

const STRINGS = {
  en: {
    join: 'Join', email: 'E-mail', name: 'First name', lastName: 'Last name (optional)',
    invitesGuest: (d: string) => `${d} invites you to join as a guest.`,
    invitesEmployee: (d: string) => `${d} invites you to join the team.`,
    approval: 'The organiser reviews each request before an invitation is sent.',
    domains: (list: string) => `Only addresses at ${list} can join through this link.`,
    expires: (date: string) => `The link works until ${date}.`,
    privacy: (d: string) => `Your e-mail address and name are passed to ${d} to send you an invitation from Bitrix24.`,
    fix: 'Please correct the following:',
    problems: {
      email: { required: 'Enter your e-mail address.', invalid_email: 'Enter a valid e-mail address, like name@example.com.', domain: 'This link does not accept addresses at this domain.' },
      name: { required: 'Enter your first name.', too_long: 'The first name is too long (100 characters at most).', not_a_name: 'The first name may not contain links, @, < or >.' },
      last_name: { too_long: 'The last name is too long (100 characters at most).', not_a_name: 'The last name may not contain links, @, < or >.' },
    } as Record<string, Record<string, string>>,
    doneTitle: 'Check your inbox',
    done: (email: string, d: string) => `If ${email} can join ${d}, an invitation from Bitrix24 will arrive at this address within a few minutes. Open it to finish your registration.`,
    doneApproval: (email: string) => `Your request was passed to the organiser. If it is approved, an invitation from Bitrix24 will arrive at ${email}.`,
    spam: 'Nothing after an hour? Look in your spam folder, or ask the person who shared the link.',
    refused: {
      missing: ['This link does not exist', 'Check that the address was copied in full, or ask the person who shared it for a new link.'],
      revoked: ['This link was switched off', 'Its organiser revoked it. Ask the person who shared it for a new link.'],
      expired: ['This link has expired', 'Ask the person who shared it for a new link.'],
      full: ['This link is full', 'As many people as it allows have joined already. Ask the person who shared it for a new link.'],
      paused: ['This link is paused', 'Its organiser paused it for a while. Try again later, or ask the person who shared it.'],
      unavailable: ['This link is not available', 'The portal it belongs to does not accept joins now. Ask the person who shared it.'],
    } as Record<Refusal, [string, string]>,
    expiredOn: (date: string) => `It expired on ${date}.`,
    limitedTitle: 'Too many attempts',
    limited: (min: number) => `Please wait ${min} minute${min === 1 ? '' : 's'} and try again.`,
    other: 'Русский', otherLang: 'ru' as PageLang,
  },
  ru: {
    join: 'Присоединиться', email: 'Электронная почта', name: 'Имя', lastName: 'Фамилия (необязательно)',
    invitesGuest: (d: string) => `Портал ${d} приглашает вас присоединиться как гостя.`,
    invitesEmployee: (d: string) => `Портал ${d} приглашает вас присоединиться к команде.`,
    approval: 'Организатор рассматривает каждую заявку, прежде чем отправить приглашение.',
    domains: (list: string) => `По этой ссылке могут присоединиться только адреса в доменах: ${list}.`,
    expires: (date: string) => `Ссылка действует до ${date}.`,
    privacy: (d: string) => `Ваш адрес и имя передаются порталу ${d}, чтобы отправить вам приглашение Битрикс24.`,
    fix: 'Исправьте, пожалуйста:',
    problems: {
      email: { required: 'Введите адрес электронной почты.', invalid_email: 'Введите правильный адрес, например name@example.com.', domain: 'Эта ссылка не принимает адреса в этом домене.' },
      name: { required: 'Введите имя.', too_long: 'Имя слишком длинное (не более 100 символов).', not_a_name: 'Имя не может содержать ссылки, @, < или >.' },
      last_name: { too_long: 'Фамилия слишком длинная (не более 100 символов).', not_a_name: 'Фамилия не может содержать ссылки, @, < или >.' },
    } as Record<string, Record<string, string>>,
    doneTitle: 'Проверьте почту',
    done: (email: string, d: string) => `Если адрес ${email} может присоединиться к порталу ${d}, в течение нескольких минут на него придёт приглашение Битрикс24. Откройте его, чтобы завершить регистрацию.`,
    doneApproval: (email: string) => `Ваша заявка передана организатору. Если её одобрят, приглашение Битрикс24 придёт на адрес ${email}.`,
    spam: 'Письма нет и через час? Проверьте папку «Спам» или спросите того, кто поделился ссылкой.',
    refused: {
      missing: ['Такой ссылки нет', 'Проверьте, что адрес скопирован полностью, или попросите новую ссылку у того, кто ею поделился.'],
      revoked: ['Ссылка отключена', 'Организатор отозвал её. Попросите новую ссылку у того, кто ею поделился.'],
      expired: ['Срок действия ссылки истёк', 'Попросите новую ссылку у того, кто ею поделился.'],
      full: ['Места по ссылке закончились', 'По ней уже присоединилось столько людей, сколько она допускает. Попросите новую ссылку.'],
      paused: ['Ссылка приостановлена', 'Организатор временно приостановил её. Попробуйте позже или спросите того, кто ею поделился.'],
      unavailable: ['Ссылка недоступна', 'Портал сейчас не принимает присоединения. Спросите того, кто поделился ссылкой.'],
    } as Record<Refusal, [string, string]>,
    expiredOn: (date: string) => `Срок истёк ${date}.`,
    limitedTitle: 'Слишком много попыток',
    limited: (min: number) => `Подождите ${min} мин. и попробуйте снова.`,
    other: 'English', otherLang: 'en' as PageLang,
  },
}

const CSS = `*{box-sizing:border-box}body{margin:0;font:15px/1.5 "Open Sans","Helvetica Neue",Arial,sans-serif;color:#333;background:#eef2f4}
main{max-width:480px;margin:40px auto;padding:32px;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{margin:0 0 12px;font-size:24px;font-weight:600;color:#151515;overflow-wrap:anywhere}p{margin:0 0 12px}.muted{color:#6a737f;font-size:13px}
label{display:block;margin:16px 0 4px;font-weight:600;font-size:13px}input{width:100%;padding:10px 12px;font:inherit;border:1px solid #c6cdd3;border-radius:8px}
input:focus{outline:3px solid #86b7fe;outline-offset:1px;border-color:#0075ff}input[aria-invalid=true]{border-color:#d0021b}
.err{color:#b0001a;font-size:13px;margin-top:4px}.summary{border:1px solid #f5c2c7;background:#fff5f5;border-radius:8px;padding:12px 16px;margin:0 0 12px}
.summary ul{margin:4px 0 0;padding-left:20px}button{margin-top:24px;width:100%;padding:12px;font:inherit;font-weight:600;color:#fff;background:#0075ff;border:0;border-radius:8px;cursor:pointer}
button:hover{background:#005fd1}button:focus-visible{outline:3px solid #86b7fe;outline-offset:2px}.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
footer{max-width:480px;margin:0 auto 40px;padding:0 32px;color:#6a737f;font-size:13px}a{color:#005fd1}`

/** The page's only style, allowed by hash: no inline script or foreign style can run. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`
export const JOIN_PAGE_CSP = [
  "default-src 'none'", `style-src ${STYLE_HASH}`, "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ')

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** Russian when the browser prefers it over English (by q-value), English otherwise; `?lang=` wins. */
export function pageLang(acceptLanguage: string | undefined, explicit?: unknown): PageLang {
  if (explicit === 'ru' || explicit === 'en') return explicit
  let best: { lang: PageLang; q: number } | null = null
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';')
    const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1)
    const lang = tag.startsWith('ru') || tag.startsWith('uk') || tag.startsWith('be') || tag.startsWith('kk') ? 'ru' : tag.startsWith('en') ? 'en' : null
    if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q }
  }
  return best?.lang ?? 'en'
}

function dateText(at: number, lang: PageLang): string {
  return new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(at)
}

function shell(lang: PageLang, title: string, body: string, switchHref: string | null): string {
  const s = STRINGS[lang]
  const other = switchHref ? `<footer><a href="${escape(switchHref)}" lang="${s.otherLang}" hreflang="${s.otherLang}">${s.other}</a></footer>` : ''
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<meta name="robots" content="noindex,nofollow"><title>${escape(title)}</title><style>${CSS}</style></head>`
    + `<body><main>${body}</main>${other}</body></html>`
}

export interface RenderedPage { status: number; html: string; retryAfterSec?: number }

export function renderOpened(o: Opened, lang: PageLang, path: string): RenderedPage {
  if (o.kind === 'form') return form(o.link, lang, path, {}, [])
  return refusalPage(o, lang, path)
}

export function renderSubmitted(o: Submitted, lang: PageLang, path: string, values: Record<string, unknown>): RenderedPage {
  const s = STRINGS[lang]
  if (o.kind === 'invalid') return { ...form(o.link, lang, path, values, o.problems), status: 400 }
  if (o.kind === 'done') {
    const text = o.link.approval ? s.doneApproval(o.email) : s.done(o.email, o.link.portalDomain)
    const body = `<h1>${escape(s.doneTitle)}</h1><p role="status">${escape(text)}</p><p class="muted">${escape(s.spam)}</p>`
    return { status: 200, html: shell(lang, s.doneTitle, body, null) }
  }
  return refusalPage(o, lang, path)
}

function refusalPage(o: Extract<Opened, { kind: 'refused' | 'limited' }>, lang: PageLang, path: string): RenderedPage {
  const s = STRINGS[lang]
  if (o.kind === 'limited') {
    const body = `<h1>${escape(s.limitedTitle)}</h1><p role="alert">${escape(s.limited(Math.max(1, Math.ceil(o.retryAfterSec / 60))))}</p>`
    return { status: 429, html: shell(lang, s.limitedTitle, body, null), retryAfterSec: o.retryAfterSec }
  }
  const [title, text] = s.refused[o.reason]
  const when = o.reason === 'expired' && o.expiresAt ? ` ${s.expiredOn(dateText(o.expiresAt, lang))}` : ''
  const status = o.reason === 'missing' ? 404 : o.reason === 'paused' ? 403 : 410
  const body = `<h1>${escape(title)}</h1><p role="alert">${escape(text + when)}</p>`
  return { status, html: shell(lang, title, body, `${path}?lang=${s.otherLang}`) }
}

function form(link: PageLink, lang: PageLang, path: string, values: Record<string, unknown>, problems: Array<{ field: string; code: string }>): RenderedPage {
  const s = STRINGS[lang]
  const value = (k: string) => (typeof values[k] === 'string' ? escape(String(values[k]).slice(0, 300)) : '')
  const errorOf = (field: string) => problems.find((p) => p.field === field)
  const messageOf = (p: { field: string; code: string }) => s.problems[p.field]?.[p.code] ?? ''
  const field = (id: string, label: string, type: string, autocomplete: string, required: boolean) => {
    const e = errorOf(id)
    const described = e ? ` aria-invalid="true" aria-describedby="${id}-error"` : ''
    return `<label for="${id}">${escape(label)}</label><input id="${id}" name="${id}" type="${type}" autocomplete="${autocomplete}" maxlength="254"${required ? ' required' : ''} value="${value(id)}"${described}>`
      + (e ? `<div class="err" id="${id}-error">${escape(messageOf(e))}</div>` : '')
  }
  const notes = [
    link.kind === 'intranet' ? s.invitesEmployee(link.portalDomain) : s.invitesGuest(link.portalDomain),
    ...(link.approval ? [s.approval] : []),
    ...(link.allowedDomains.length ? [s.domains(link.allowedDomains.join(', '))] : []),
    ...(link.expiresAt !== null ? [s.expires(dateText(link.expiresAt, lang))] : []),
  ]
  const summary = problems.length
    ? `<div class="summary" role="alert"><strong>${escape(s.fix)}</strong><ul>${problems.map((p) => `<li><a href="#${p.field}">${escape(messageOf(p))}</a></li>`).join('')}</ul></div>`
    : ''
  const body = `<h1>${escape(link.name)}</h1>${summary}${notes.map((n) => `<p>${escape(n)}</p>`).join('')}`
    + `<form method="post" action="${escape(path)}" novalidate><input type="hidden" name="lang" value="${lang}">`
    + field('email', s.email, 'email', 'email', true) + field('name', s.name, 'text', 'given-name', true) + field('last_name', s.lastName, 'text', 'family-name', false)
    // A field people never see: bots fill it in.
    + `<div class="hp" aria-hidden="true"><label for="website">Website</label><input id="website" name="website" type="text" tabindex="-1" autocomplete="off"></div>`
    + `<button type="submit">${escape(s.join)}</button></form><p class="muted">${escape(s.privacy(link.portalDomain))}</p>`
  return { status: 200, html: shell(lang, link.name, body, `${path}?lang=${s.otherLang}`) }
}
