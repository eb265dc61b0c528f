import { readFile } from 'node:fs/promises'
import path from 'node:path'

export type Lang = 'ru' | 'en'

/** The JSON the server hands to the UI inside the page it frames (mirrors client/src/api/types.ts). */
export type Boot =
  | {
      mode: 'app'
      lang: Lang
      session: { token: string; expiresAt: number }
      placement: string
      placementOptions: Record<string, unknown>
      user: { id: number; name: string; isAdmin: boolean }
      portal: { memberId: string; domain: string; status: 'installing' | 'installed' | 'needs_reinstall' }
    }
  | { mode: 'install'; lang: Lang; ok: true; registration: { events: string[]; placements: string[]; robots: string[]; errors: string[] } }
  | { mode: 'install'; lang: Lang; ok: false; error: { code: string; message: string } }
  | { mode: 'error'; lang: Lang; error: { code: string; message: string } }

/** Portal LANG → UI language: Russian for the ru-speaking zones, English otherwise. */
export function uiLang(portalLang: unknown): Lang {
  return typeof portalLang === 'string' && ['ru', 'ua', 'by', 'kz'].includes(portalLang.toLowerCase()) ? 'ru' : 'en'
}

/** JSON that is safe inside <script>: nothing in it can close the tag or start markup. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

export function createPageRenderer(clientDist: string) {
  let template: Promise<string> | undefined
  return async function renderPage(boot: Boot): Promise<string> {
    template ??= readFile(path.join(clientDist, 'index.html'), 'utf8').catch((e) => {
      template = undefined
      throw new Error(`The UI is not built (${(e as Error).message}); run \`npm run build\``)
    })
    const html = await template
    const tag = `<script id="invite-desk-boot" type="application/json">${scriptSafeJson(boot)}</script>`
    // A function, not a string: in a replacement string "$'", "$`" and "$&" (which a user's name may hold) pull
    // the page itself into the boot JSON.
    return html.replace('</head>', () => `${tag}\n</head>`).replace(/<html([^>]*)\blang="[^"]*"/, `<html$1lang="${boot.lang}"`)
  }
}
