/**
 * `npm run demo`: an emulated Bitrix24 cloud portal plus Invite Desk on SQLite (./data/demo.sqlite), with the
 * app registered in the portal. Open the printed portal URL: the portal installs the app in its iframe, then
 * opens it. Nothing here is used in production; the emulator lives in test/.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { ensureUiBuilt } from './ensure-ui-built.js'
import { buildApp } from '../server/app.js'
import { parseConfig } from '../server/config/config.js'
import { MANIFEST } from '../install/manifest.js'
import { seedCollabs, startEmulator } from '../test/emulator/index.js'

const root = path.resolve(import.meta.dirname, '..')
process.chdir(root)

ensureUiBuilt()

const clientId = 'local.invitedesk.demo'
const clientSecret = randomBytes(16).toString('hex')
const emu = await startEmulator({ apps: [{ clientId, clientSecret, code: clientId, version: 1, scopes: MANIFEST.scopes }] })
// Undocumented methods switched on, so every feature is visible; a real portal may lack them (the UI says so).
const portal = await emu.createPortal({ lang: 'ru', extraMethods: ['intranet.invite.reinvite', 'intranet.invite.inviteUsersByPhoneNumber', 'socialnetwork.collab.Member.delete'] })
const sales = portal.addDepartment({ NAME: 'Продажи', PARENT: 1 }).ID
portal.addDepartment({ NAME: 'Москва', PARENT: sales })
portal.addDepartment({ NAME: 'Маркетинг', PARENT: 1 })
portal.addUser({ EMAIL: 'manager@example.com', NAME: 'Мария', LAST_NAME: 'Петрова', UF_DEPARTMENT: [sales] })
portal.addUser({ EMAIL: 'olga@example.com', NAME: 'Ольга', LAST_NAME: 'Смирнова', UF_DEPARTMENT: [1], invited: true })
portal.addGroup({ NAME: 'Проект Альфа', OWNER_ID: 1 })
portal.addGroup({ NAME: 'Партнёры', OWNER_ID: 1, IS_EXTRANET: true })
// Collabs with guests in every state, for the Collabs dashboard (the app syncs them within a minute of install).
seedCollabs(portal, { collabs: 24, guests: 400, seed: 11 })

// A file to try the bulk-invite wizard with: one existing person, one duplicate, one bad address.
const sampleCsv = [
  'E-mail;Имя;Фамилия;Должность;Подразделение',
  'anna@example.com;Анна;Иванова;Менеджер;Продажи / Москва',
  'boris@example.com;Борис;Кузнецов;Аналитик;Маркетинг',
  'manager@example.com;Мария;Петрова;Руководитель;Продажи',
  'anna@example.com;Анна;Иванова;Менеджер;Продажи / Москва',
  'not-an-address;Пётр;Сидоров;Стажёр;Продажи',
].join('\r\n')

const server = http.createServer()
await new Promise<void>((r) => server.listen(3000, () => r()).once('error', () => server.listen(0, () => r())))
const port = (server.address() as AddressInfo).port
const appUrl = `http://localhost:${port}`

// A fresh demo database each run: the emulated portal is new each time too.
mkdirSync('data', { recursive: true })
rmSync(path.join('data', 'demo.sqlite'), { force: true })
writeFileSync(path.join('data', 'demo-invites.csv'), sampleCsv)
const config = parseConfig({
  APP_URL: appUrl,
  B24_CLIENT_ID: clientId,
  B24_CLIENT_SECRET: clientSecret,
  B24_OAUTH_URL: emu.oauthUrl,
  APP_SECRET: randomBytes(32).toString('base64url'),
  APP_ALLOW_HTTP_PORTALS: '1',
  SQLITE_PATH: './data/demo.sqlite',
  LOG_LEVEL: 'info',
})
const app = await buildApp(config)
server.on('request', app.http)
app.start()
portal.registerApp(clientId, { handlerUrl: `${appUrl}/app`, installUrl: `${appUrl}/install` })

console.log(`
Invite Desk demo
  app:              ${appUrl}
  emulated portal:  ${portal.origin} (member ${portal.memberId})

Open the portal page in a browser (it installs the app on first open):
  English: ${portal.frameUrl(clientId, { lang: 'en' })}
  Русский: ${portal.frameUrl(clientId, { lang: 'ru' })}

A sample file for the Invites wizard: ${path.join(root, 'data', 'demo-invites.csv')}

Ctrl+C stops both.`)

// Once the app is installed (its robots registered), a CRM pipeline moves a few deals: the Automation page
// then has runs to show (invited, already in the portal, refused, waiting for acceptance).
void (async () => {
  while (!portal.robots().some((r) => r.code === 'invite_employee')) await new Promise((r) => setTimeout(r, 500))
  const deal = (n: number) => ({ documentId: ['crm', 'CCrmDocumentDeal', `DEAL_${n}`] as [string, string, string] })
  await portal.callRobot('invite_employee', { ...deal(101), properties: { EMAIL: 'new.hire@example.com', NAME: 'Ирина', LAST_NAME: 'Волкова', DEPARTMENT: 'Продажи' } })
  await portal.callRobot('invite_employee', { ...deal(102), properties: { EMAIL: 'manager@example.com', DEPARTMENT: 'Продажи' } })
  await portal.callRobot('invite_guest', { ...deal(103), properties: { EMAIL: 'client@partner.example', NAME: 'Клиент', GROUP_ID: 'Партнёры' } })
  await portal.callRobot('wait_acceptance', { ...deal(101), properties: { EMAIL: 'new.hire@example.com', WAIT_DAYS: '7' } })
  // A join link into the partners' group, with a cap, so its public page and QR code can be tried at once.
  await app.directorySync.sync(portal.memberId, { forceFull: true })
  const partners = (await app.stores.directory.groups(portal.memberId)).find((g) => g.name === 'Партнёры')
  if (partners) {
    const expiresOn = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
    const link = await app.joinLinks.service.create(portal.memberId, { userId: 1, isAdmin: true }, {
      name: 'Партнёры 2026', target: { kind: 'group', id: partners.id }, templateId: null, expiresOn, cap: 20, allowedDomains: [], approval: false,
    })
    console.log(`\nA join link (Join links page; its public page works in any browser):\n  ${link.url}`)
  }
})().catch((e: unknown) => console.error('demo robots:', e))

const stop = async () => {
  server.close()
  await app.close()
  await emu.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
