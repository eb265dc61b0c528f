import { describe, expect, it } from 'vitest'
import { pickLanguage, renderTemplate, unknownVariables } from '../../server/invites/render-template.js'

describe('invitation templates', () => {
  it('fills every documented variable', () => {
    const t = 'Hi {name} {lastName} ({position}, {department}). {inviter} invites you to {portal}: {groups}.'
    expect(renderTemplate(t, { name: 'Anna', lastName: 'Lee', position: 'CFO', department: 'Finance', inviter: 'Max', portal: 'acme.bitrix24.com', groups: 'Board, Audit' }))
      .toBe('Hi Anna Lee (CFO, Finance). Max invites you to acme.bitrix24.com: Board, Audit.')
  })

  it('tidies around missing values and keeps unknown braces as typed', () => {
    expect(renderTemplate('Hello, {name}!', {})).toBe('Hello!')
    expect(renderTemplate('Здравствуйте, {name} {lastName}!', { name: 'Иван' })).toBe('Здравствуйте, Иван!')
    expect(renderTemplate('Code {promo} stays', {})).toBe('Code {promo} stays')
    expect(unknownVariables('{name} {promo} {x}')).toEqual(['promo', 'x'])
  })

  it('does not HTML-escape (Bitrix24 escapes MESSAGE_TEXT itself) and caps the length', () => {
    expect(renderTemplate('<b>{name}</b>', { name: 'A&B' })).toBe('<b>A&B</b>')
    expect(renderTemplate('x'.repeat(5000), {})).toHaveLength(4000)
  })

  it('prefers the row language over the template default', () => {
    expect(pickLanguage('en', 'ru')).toBe('en')
    expect(pickLanguage(null, 'ru')).toBe('ru')
  })
})
