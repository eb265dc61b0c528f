/**
 * The bulk-invite wizard in real Chromium, inside the emulated portal's page: a semicolon-delimited
 * Windows-1251 CSV with Russian headers is uploaded, mapped, checked (one bad e-mail fixed in the row
 * editor, one misspelt department fixed from the suggestion, one existing user skipped), the report
 * exported, the list sent, the progress bar followed to 100 %, the results exported — and the portal
 * is asked who was invited. Also: the ledger and the dashboard show the send; keyboard and screen-reader
 * basics hold; the page logs no errors. A second scenario pastes 60 addresses (two batches of user.add),
 * picks the department by keyboard, pauses the send while the first batch is on the wire and resumes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Download, Frame, Page } from 'playwright-core'
import ExcelJS from 'exceljs'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium, recordPageErrors, reportFailures } from '../helpers/browser.js'
import { CLIENT_ID, openApp, startStack, until, type Stack } from '../helpers/stack.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!


/** Windows-1251 for the text we write: ASCII as is, А–я at 0xC0–0xFF, Ё/ё at 0xA8/0xB8. */
function cp1251(text: string): Buffer {
  const out: number[] = []
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    if (c < 0x80) out.push(c)
    else if (c >= 0x410 && c <= 0x44f) out.push(c - 0x410 + 0xc0)
    else if (c === 0x401) out.push(0xa8)
    else if (c === 0x451) out.push(0xb8)
    else throw new Error(`no cp1251 byte for ${ch}`)
  }
  return Buffer.from(out)
}

/** Presses Tab until `selector` has focus; resolves to the number of presses. */
async function tabTo(frame: Frame, selector: string, max = 40): Promise<number> {
  for (let n = 1; n <= max; n++) {
    await frame.page().keyboard.press('Tab')
    if (await frame.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return n
  }
  throw new Error(`Tab never reached ${selector}`)
}

async function downloadText(d: Download): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of (await d.createReadStream()) as AsyncIterable<Buffer>) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}
async function downloadBytes(d: Download): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of (await d.createReadStream()) as AsyncIterable<Buffer>) chunks.push(c)
  return Buffer.concat(chunks)
}

const CSV = [
  'Электронная почта;Имя;Фамилия;Должность;Подразделение',
  'ivan.petrov@example.ru;Иван;Петров;Менеджер;Продажи / Москва',
  'maria.ivanova@example;Мария;Иванова;Бухгалтер;Продажи',
  'oleg.sidorov@example.ru;Олег;Сидоров;Инженер;Продаш',
  'admin@example.com;Админ;Порталов;Администратор;',
  'anna.smirnova@example.ru;Анна;Смирнова;Юрист;',
].join('\r\n')
const INVITED = ['anna.smirnova@example.ru', 'ivan.petrov@example.ru', 'maria.ivanova@example.ru', 'oleg.sidorov@example.ru']

describe('bulk-invite wizard in Chromium', () => {
  let s: Stack
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    s = await startStack(sqlite, { portal: { lang: 'ru' } })
    const sales = s.portal.addDepartment({ NAME: 'Продажи', PARENT: 1 })
    s.portal.addDepartment({ NAME: 'Москва', PARENT: sales.ID })
    s.portal.addGroup({ NAME: 'Проект Альфа', OWNER_ID: 1 })
    browser = await launchChromium()
    page = await browser.newPage({ acceptDownloads: true })
    page.setDefaultTimeout(10_000)
    recordPageErrors(page, pageErrors)
  }, 30_000)
  afterAll(async () => {
    await browser?.close()
    await s?.close()
  })

  /** Runs a scenario; on failure, keeps a screenshot and says what the page logged. */
  const reported = (scenario: () => Promise<void>) => reportFailures('wizard', page, pageErrors, scenario)

  /** The refused .xls of the first scenario is the one failed request the browser may have seen (and logged). */
  const unexpectedErrors = () => pageErrors.filter((e) => !((/ 415 /.test(e) || e.includes('status of 415')) && e.includes('/api/imports')))

  it('uploads a cp1251 CSV, checks, fixes, sends, follows the job to 100 % and exports', () => reported(csvToResults), 60_000)

  it('sends a pasted list in two batches, paused and resumed from the sending step', () => reported(pauseAndResume), 60_000)

  /** The portal page, opened again (a fresh app), on the Invites view. */
  async function openInvites(): Promise<Frame> {
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'ru' }))
    await until(async () => (await s.a.app.stores.portals.get(s.portal.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    const home = await appFrameWith(page, '[data-testid="dashboard-title"]')
    await home.click('[data-testid="nav-invites"]')
    return appFrameWith(page, '[data-testid="invite-wizard"]')
  }

  async function pauseAndResume(): Promise<void> {
    const frame = await openInvites()
    const before = new Set(s.portal.invitations().map((i) => i.email))
    const emails = Array.from({ length: 60 }, (_, i) => `guest${String(i + 1).padStart(2, '0')}@example.org`)
    await frame.fill('[data-testid="wizard-paste"] textarea, textarea[data-testid="wizard-paste"]', emails.join('\n'))
    expect(await frame.textContent('#wizard-paste-count')).toContain('60 записей')
    await frame.click('[data-testid="wizard-next"]')
    await frame.waitForSelector('[data-testid="invite-wizard"][data-step="check"]')
    await frame.click('[data-testid="wizard-next"]')
    await frame.waitForSelector('[data-testid="invite-wizard"][data-step="columns"]')
    await frame.click('[data-testid="wizard-next"]')
    await frame.waitForSelector('[data-testid="invite-wizard"][data-step="target"]')

    // No template: choose the department in the picker, by keyboard (open, search, pick).
    const picker = frame.getByRole('button', { name: 'Подразделение: Выберите подразделение', exact: true })
    await picker.focus()
    await page.keyboard.press('Enter')
    await page.keyboard.type('Москва')
    await frame.getByRole('option', { name: 'Company / Продажи / Москва' }).waitFor()
    await page.keyboard.press('Enter')
    await frame.getByRole('button', { name: 'Подразделение: Company / Продажи / Москва', exact: true }).waitFor()
    await frame.click('[data-testid="wizard-next"]')

    await frame.waitForSelector('[data-testid="dry-run-table"]')
    expect(Number(await frame.getAttribute('[data-testid="summary-ready"]', 'data-count'))).toBe(60)
    expect(await frame.textContent('[data-testid="send-button"]')).toContain('Отправить 60 приглашений')

    // Each batch of user.add takes the portal 3 s: long enough to pause while the first one runs.
    s.portal.injectFault({ method: 'batch', kind: 'slow', delayMs: 3_000, times: 2 })
    await frame.click('[data-testid="send-button"]')
    await frame.waitForSelector('[data-testid="job-status"][data-status="running"]')
    await frame.click('[data-testid="job-pause"]')
    await frame.waitForSelector('[data-testid="job-status"][data-status="paused"]')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent === 'Отправка приостановлена')
    // The batch on the wire finishes; the second one waits for the resume.
    await frame.waitForFunction(() => document.querySelector('[data-testid="job-progress"]')?.getAttribute('aria-valuenow') === '50', undefined, { timeout: 15_000 })
    expect(await frame.getAttribute('[data-testid="job-progress"]', 'aria-valuetext')).toBe('50 из 60')
    expect(await frame.textContent('[data-testid="job-count-queued"]')).toContain('10')
    expect(s.portal.invitations().filter((i) => !before.has(i.email))).toHaveLength(50)

    await frame.click('[data-testid="job-resume"]')
    await frame.waitForSelector('[data-testid="job-status"][data-status="completed"]', { timeout: 20_000 })
    expect(await frame.getAttribute('[data-testid="job-progress"]', 'aria-valuenow')).toBe('60')
    expect(await frame.textContent('[data-testid="job-finished"]')).toContain('приглашено 60, пропущено 0, ошибок 0')

    // Everyone once, in Moscow, with the portal's own text (no template).
    const moscowId = s.portal.departments().find((d) => d.NAME === 'Москва')!.ID
    const invited = s.portal.invitations().filter((i) => !before.has(i.email))
    expect(invited.map((i) => i.email).sort()).toEqual(emails)
    expect(invited.every((i) => JSON.stringify(i.departmentIds) === JSON.stringify([moscowId]) && i.messageText === null)).toBe(true)
    expect(s.portal.users().filter((u: any) => emails.includes(String(u.EMAIL)))).toHaveLength(60)
    expect(unexpectedErrors()).toEqual([])
  }

  async function csvToResults(): Promise<void> {
    // Install through the portal page, as an admin would.
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'ru' }))
    await until(async () => (await s.a.app.stores.portals.get(s.portal.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    let frame = await appFrameWith(page, '[data-testid="dashboard-title"]')

    // A template with a default department (Продажи) and a text with a variable.
    const token = (await openApp(s)).boot!.session.token as string
    const salesId = s.portal.departments().find((d) => d.NAME === 'Продажи')!.ID
    const created = await fetch(`${s.a.url}/api/templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Сотрудники', kind: 'intranet', texts: { ru: 'Здравствуйте, {name}! Ждём вас на портале.', en: 'Hello, {name}!' },
        defaultLang: 'ru', departmentId: salesId, groupIds: [], reminderDays: [3], expireAfterDays: 14,
      }),
    })
    expect(created.status).toBe(201)
    const template = ((await created.json()) as { template: { id: string } }).template

    // Invites, by keyboard from the navigation.
    await frame.focus('[data-testid="nav-invites"]')
    await page.keyboard.press('Enter')
    frame = await appFrameWith(page, '[data-testid="invite-wizard"]')

    // Step 1: an old .xls is refused, and the refusal is an alert.
    await frame.setInputFiles('[data-testid="wizard-file-input"]', { name: 'старый.xls', mimeType: 'application/vnd.ms-excel', buffer: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]) })
    const refusal = frame.locator('[role="alert"][data-testid="upload-error"]')
    await refusal.waitFor()
    expect(await refusal.getAttribute('data-code')).toBe('xls_legacy')
    expect(await refusal.textContent()).toContain('Старый формат Excel (.xls) не поддерживается')
    expect(await frame.isDisabled('[data-testid="wizard-next"]')).toBe(true)

    // The CSV replaces it.
    await frame.setInputFiles('[data-testid="wizard-file-input"]', { name: 'сотрудники.csv', mimeType: 'text/csv', buffer: cp1251(CSV) })
    await frame.waitForFunction(() => document.querySelector('[data-testid="wizard-file"] [role="status"]')?.textContent?.includes('прочитано строк — 5'))
    expect(await frame.$('[data-testid="upload-error"]')).toBeNull()
    // By keyboard: the frame grows as the file's status appears, and a click aimed before that can miss.
    await frame.focus('[data-testid="wizard-next"]')
    await page.keyboard.press('Enter')

    // Step 2: what was detected.
    await frame.waitForSelector('[data-testid="detected-encoding"]')
    expect(await frame.textContent('[data-testid="detected-encoding"]')).toContain('Windows-1251')
    expect(await frame.textContent('[data-testid="detected-delimiter"]')).toContain('(;)')
    const preview = await frame.textContent('[data-testid="preview-table"]')
    expect(preview).toContain('Электронная почта')
    expect(preview).toContain('Смирнова')
    await frame.click('[data-testid="wizard-next"]')

    // Step 3: the Russian headers were mapped automatically; the footer is reachable with Tab alone.
    await frame.waitForSelector('[data-testid="mapping-table"]')
    const mapped = await frame.$$eval('[data-testid^="mapping-select-"]', (els) => (els as HTMLSelectElement[]).map((e) => e.value))
    expect(mapped).toEqual(['email', 'name', 'lastName', 'position', 'department'])
    expect(await frame.textContent('[data-testid="mapping-status"]')).toContain('Приглашения уйдут на: Эл. почта')
    // The wizard moved focus to the step panel, which names the step.
    expect(await frame.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Шаг 3 из 6: Столбцы')
    const nextByTab = await tabTo(frame, '[data-testid="wizard-next"]')
    expect(nextByTab).toBeGreaterThan(5) // through the five column selects first
    await page.keyboard.press('Enter')

    // Step 4: the template brings its department.
    await frame.waitForSelector('[data-testid="target-template"] option:nth-child(2)', { state: 'attached' })
    await frame.selectOption('[data-testid="target-template"]', template.id)
    // The picker is named by its label and shows the department the directory sync brought in.
    await frame.getByRole('button', { name: 'Подразделение: Company / Продажи', exact: true }).waitFor()
    await frame.getByRole('button', { name: 'Рабочие группы: Выберите группы', exact: true }).waitFor()
    // The text as the first row's person will read it, rendered by the server.
    await frame.waitForFunction(() => document.querySelector('[data-testid="target-template-text"]')?.textContent === 'Здравствуйте, Иван! Ждём вас на портале.')
    // Back to a reached step from the step list, by keyboard, and forward again.
    await frame.focus('button[aria-label="Вернуться к шагу 3: Столбцы"]')
    await page.keyboard.press('Enter')
    await frame.waitForSelector('[data-testid="invite-wizard"][data-step="columns"]')
    await frame.focus('[data-testid="wizard-next"]')
    await page.keyboard.press('Enter')
    await frame.waitForSelector('[data-testid="invite-wizard"][data-step="target"]')
    expect(await frame.inputValue('[data-testid="target-template"]')).toBe(template.id)
    await frame.click('[data-testid="wizard-next"]')

    // Step 5: the dry run; the screen reader hears where it is and what was found.
    await frame.waitForSelector('[data-testid="dry-run-table"]')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent ===
      'Шаг 5: Пробный прогон. Проверено строк: 5. Готовы: 2, с предупреждениями: 1, с ошибками: 2.')
    const count = async (k: string) => Number(await frame.getAttribute(`[data-testid="summary-${k}"]`, 'data-count'))
    expect(await count('all')).toBe(5)
    expect(await count('error')).toBe(2)
    expect(await count('warning')).toBe(1)
    expect(await count('ready')).toBe(2)
    const rowStatus = (n: number) => frame.getAttribute(`[data-testid="dry-run-row-${n}"]`, 'data-status')
    // Rows are numbered as in the file (the header is row 1).
    expect(await rowStatus(2)).toBe('ready')
    expect(await frame.textContent('[data-testid="dry-run-row-2"]')).toContain('Company / Продажи / Москва')
    expect(await rowStatus(3)).toBe('error')
    const row3 = await frame.textContent('[data-testid="dry-run-row-3"]')
    expect(row3).toContain('Это не похоже на адрес электронной почты')
    expect(row3).toContain('«maria.ivanova@example»')
    expect(await rowStatus(4)).toBe('error')
    expect(await frame.textContent('[data-testid="dry-run-row-4"]')).toContain('На портале нет такого подразделения')
    expect(await rowStatus(5)).toBe('warning')
    expect(await frame.textContent('[data-testid="dry-run-row-5"]')).toContain('Этот человек уже есть на портале')
    expect(await frame.isDisabled('[data-testid="send-button"]')).toBe(true)
    expect(await frame.textContent('[data-testid="send-blocked"]')).toContain('осталось 2')

    // Row 3: fix the e-mail in the row editor, by keyboard; the editor starts from what the file said.
    await frame.focus('[data-testid="row-edit-3"]')
    await page.keyboard.press('Enter')
    await frame.waitForSelector('[data-testid="row-editor"]')
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('row-3-email')
    expect(await frame.inputValue('#row-3-email')).toBe('maria.ivanova@example')
    await page.keyboard.press('End')
    await page.keyboard.type('.ru')
    await page.keyboard.press('Enter')
    await frame.waitForFunction(() => document.querySelector('[data-testid="dry-run-row-3"]')?.getAttribute('data-status') === 'ready')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent === 'Строка 3 проверена заново: Готова')
    // Focus came back to the row's edit button.
    expect(await frame.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('row-edit-3')

    // Row 4: take the suggested department.
    const suggestion = frame.locator('[data-testid="dry-run-row-4"] button.suggestion')
    expect(await suggestion.textContent()).toContain('Company / Продажи')
    await suggestion.click()
    await frame.waitForFunction(() => document.querySelector('[data-testid="dry-run-row-4"]')?.getAttribute('data-status') === 'ready')
    expect(await count('error')).toBe(0)
    expect(await count('ready')).toBe(4)

    // The dry-run report.
    const [report] = await Promise.all([page.waitForEvent('download'), frame.click('[data-testid="export-report"]')])
    const reportCsv = await downloadText(report)
    expect(report.suggestedFilename()).toBe('dry-run-report.csv')
    expect(reportCsv).toMatch(/maria\.ivanova@example\.ru/)
    expect(reportCsv).toMatch(/oleg\.sidorov@example\.ru[^\n]*Company \/ Продажи/)
    expect(reportCsv).toMatch(/admin@example\.com[^\n]*1 \(active\)/)

    // Send: the admin is already in the portal, so four invitations, not five.
    expect(await frame.textContent('[data-testid="send-button"]')).toContain('Отправить 4 приглашения')
    expect(await frame.isEnabled('[data-testid="send-button"]')).toBe(true)
    // Every value the progress bar takes, from its first render on.
    await frame.evaluate(() => {
      const seen: number[] = ((window as any).__progress = [])
      const note = () => {
        const v = document.querySelector('[data-testid="job-progress"]')?.getAttribute('aria-valuenow')
        if (v !== null && v !== undefined && seen.at(-1) !== Number(v)) seen.push(Number(v))
      }
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] })
    })
    await frame.click('[data-testid="send-button"]')
    await frame.waitForSelector('[data-testid="sending-step"]')
    const bar = frame.getByRole('progressbar', { name: 'Обработано приглашений' })
    await bar.waitFor()
    await frame.waitForFunction(() => {
      const el = document.querySelector('[data-testid="job-progress"]')
      return el && el.getAttribute('aria-valuenow') === el.getAttribute('aria-valuemax')
    }, undefined, { timeout: 30_000 })
    expect(await bar.getAttribute('aria-valuemax')).toBe('5')
    expect(await bar.getAttribute('aria-valuetext')).toBe('5 из 5')
    const seen = (await frame.evaluate(() => (window as any).__progress)) as number[]
    expect(seen.at(-1)).toBe(5)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    await frame.waitForSelector('[data-testid="job-status"][data-status="completed"]', { timeout: 10_000 })
    expect(await frame.textContent('[data-testid="job-finished"]')).toContain('приглашено 4, пропущено 1, ошибок 0')

    // Results: CSV and XLSX.
    await frame.waitForSelector('[data-testid="job-item-5"]')
    const [csvDl] = await Promise.all([page.waitForEvent('download'), frame.click('[data-testid="export-results-csv"]')])
    const resultsCsv = await downloadText(csvDl)
    for (const e of INVITED) expect(resultsCsv).toMatch(new RegExp(`${e.replace(/\./g, '\\.')},[^\\n]*,invited,`))
    expect(resultsCsv).toMatch(/admin@example\.com,[^\n]*,skipped,/)
    expect(await frame.textContent('[data-testid="job-item-4"]')).toContain('Уже есть на портале — пропущен.')
    const [xlsxDl] = await Promise.all([page.waitForEvent('download'), frame.click('[data-testid="export-results-xlsx"]')])
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load((await downloadBytes(xlsxDl)) as unknown as ArrayBuffer)
    const sheet = wb.worksheets[0]!
    const xlsxRows: string[][] = []
    sheet.eachRow((r) => xlsxRows.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ''))))
    const [head, ...body] = xlsxRows
    const col = (name: string) => head!.indexOf(name)
    expect(body.filter((r) => r[col('Result')] === 'invited').map((r) => r[col('E-mail')]).sort()).toEqual(INVITED)

    // The portal's side: exactly these people, once each, in the right departments, with the template text.
    const invitations = s.portal.invitations()
    expect(invitations.map((i) => i.email).sort()).toEqual(INVITED)
    const moscowId = s.portal.departments().find((d) => d.NAME === 'Москва')!.ID
    const byEmail = new Map(invitations.map((i) => [i.email, i]))
    expect(byEmail.get('ivan.petrov@example.ru')!.departmentIds).toEqual([moscowId])
    expect(byEmail.get('oleg.sidorov@example.ru')!.departmentIds).toEqual([salesId])
    expect(byEmail.get('anna.smirnova@example.ru')!.departmentIds).toEqual([salesId])
    expect(byEmail.get('maria.ivanova@example.ru')!.messageText).toBe('Здравствуйте, Мария! Ждём вас на портале.')
    const users = s.portal.users().filter((u: any) => INVITED.includes(String(u.EMAIL)))
    expect(users.length).toBe(4)
    expect(s.portal.callCount('user.add')).toBe(4)

    // The ledger lists them, waiting for acceptance, from the wizard.
    await frame.click('[data-testid="open-ledger"]')
    await frame.waitForFunction((n) => document.querySelectorAll('[data-testid="ledger-table"] tr[data-state]').length === n, INVITED.length)
    const ledger = await frame.$$eval('[data-testid="ledger-table"] tr[data-state]', (rows) => rows.map((r) => ({ state: r.getAttribute('data-state'), text: r.textContent ?? '' })))
    expect(INVITED.every((e) => ledger.filter((r) => r.text.includes(e)).length === 1)).toBe(true)
    expect(new Set(ledger.map((r) => r.state))).toEqual(new Set(['pending']))
    expect(await frame.textContent('[data-testid="ledger-total"]')).toContain('4 приглашения')
    // This portal has no intranet.invite.reinvite: the ledger says so and links each pending person's page.
    expect(await frame.isVisible('[data-testid="ledger-resend-fallback"]')).toBe(true)
    const againLinks = await frame.$$eval('[data-testid^="ledger-invite-again-"]', (links) => links.map((a) => a.getAttribute('href') ?? ''))
    expect(againLinks).toHaveLength(INVITED.length)
    expect(againLinks.every((href) => href.startsWith(`${s.portal.origin}/company/personal/user/`))).toBe(true)
    await frame.getByRole('checkbox', { name: 'Отправленные мной' }).waitFor()

    // The dashboard counts them and lists the send; its link opens the finished job.
    await frame.click('[data-testid="nav-dashboard"]')
    const job = await frame.waitForSelector('[data-testid^="recent-job-"]')
    expect(await job.textContent()).toContain('сотрудники.csv')
    expect(await job.textContent()).toContain('Завершена')
    const stat = async (k: string) => (await frame.textContent(`[data-testid="stat-${k}"]`))?.replace(/\s+/g, ' ')
    expect(await stat('invited')).toMatch(/Приглашено\s*4(?!\d)/)
    expect(await stat('pending')).toMatch(/Ожидают\s*4(?!\d)/)
    expect(await stat('failed')).toMatch(/Ошибки\s*0(?!\d)/)
    // The shell still names the admin, long after /api/me answered at start-up.
    expect(await frame.textContent('[data-testid="shell-user"]')).toBe('Admin')
    await (await job.$('a'))!.click()
    await frame.waitForSelector('[data-testid="job-status"][data-status="completed"]')
    expect(await frame.getAttribute('[data-testid="job-progress"]', 'aria-valuenow')).toBe('5')

    expect(pageErrors.filter((e) => e.startsWith('http 415 POST'))).toHaveLength(1)
    expect(unexpectedErrors()).toEqual([])
  }
})
