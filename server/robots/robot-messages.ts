/**
 * Reasons a robot gives its workflow (ERROR_TEXT), in the portal's language: the admin reads them in the
 * workflow's log and in the Automation page, so they say what happened and what to change.
 */
export type Lang = 'ru' | 'en'

const MESSAGES = {
  robot_disabled: {
    en: 'This Invite Desk robot is switched off in Invite Desk settings (Settings → Automation rules).',
    ru: 'Этот робот Invite Desk отключён в настройках Invite Desk (Настройки → Роботы).',
  },
  daily_cap: {
    en: 'The portal reached its limit of {cap} invitations by robots in 24 hours; the invitation was not sent. Raise the limit in Invite Desk settings or retry later.',
    ru: 'Достигнут лимит портала: {cap} приглашений роботами за 24 часа; приглашение не отправлено. Увеличьте лимит в настройках Invite Desk или повторите позже.',
  },
  missing_email: { en: 'No e-mail address was given (EMAIL is empty).', ru: 'Не указан e-mail (поле EMAIL пустое).' },
  invalid_email: { en: '"{value}" is not a valid e-mail address.', ru: '«{value}» — некорректный адрес e-mail.' },
  missing_group: { en: 'No group was given (GROUP_ID is empty or not a number).', ru: 'Не указана группа (GROUP_ID пустой или не число).' },
  missing_user: { en: 'No user was given (USER is empty).', ru: 'Не указан пользователь (поле USER пустое).' },
  unknown_group: { en: 'There is no group or collab with ID {id} (or the app cannot see it).', ru: 'Группа или коллаба с ID {id} не найдена (или недоступна приложению).' },
  unknown_template: { en: 'There is no Invite Desk template "{value}".', ru: 'Шаблон Invite Desk «{value}» не найден.' },
  template_kind: {
    en: 'The template "{value}" is for {kind} invitations; choose a template of the right kind.',
    ru: 'Шаблон «{value}» предназначен для приглашений типа «{kind}»; выберите шаблон нужного типа.',
  },
  template_not_allowed: { en: 'Robots may not use the template "{value}" (Invite Desk settings).', ru: 'Роботам запрещено использовать шаблон «{value}» (настройки Invite Desk).' },
  department_not_allowed: {
    en: 'Robots may not invite employees into the department "{value}" (Invite Desk settings).',
    ru: 'Роботам запрещено приглашать сотрудников в подразделение «{value}» (настройки Invite Desk).',
  },
  group_not_allowed: { en: 'Robots may not invite people into the group "{value}" (Invite Desk settings).', ru: 'Роботам запрещено приглашать людей в группу «{value}» (настройки Invite Desk).' },
  invalid_date: { en: 'ACCESS_END_DATE "{value}" is not a date.', ru: 'ACCESS_END_DATE «{value}» — не дата.' },
  past_date: { en: 'ACCESS_END_DATE {value} is in the past.', ru: 'ACCESS_END_DATE {value} уже прошла.' },
  dismissed: { en: 'This person is a dismissed user of the portal (ID {id}); nobody was invited.', ru: 'Этот человек — уволенный пользователь портала (ID {id}); приглашение не отправлено.' },
  check_failed: { en: 'The invitation cannot be sent: {value}', ru: 'Приглашение нельзя отправить: {value}' },
  cancelled: { en: 'The invitation was cancelled in Invite Desk before it was sent.', ru: 'Приглашение отменено в Invite Desk до отправки.' },
  send_failed: { en: 'The portal refused the invitation: {value}', ru: 'Портал отклонил приглашение: {value}' },
  no_person: { en: 'Give an e-mail (EMAIL) or a user ID (USER_ID) to wait for.', ru: 'Укажите e-mail (EMAIL) или ID пользователя (USER_ID), чьё принятие ждать.' },
  not_accepted: { en: 'The invitation was not accepted within {days} days.', ru: 'Приглашение не принято за {days} дн.' },
  not_accepted_no_invite: {
    en: 'No invitation for {value} was found, and nobody with it accepted within {days} days.',
    ru: 'Приглашение для {value} не найдено, и за {days} дн. никто с этими данными не принял приглашение.',
  },
  portal_timeout: { en: 'The workflow stopped waiting before the person accepted.', ru: 'Бизнес-процесс перестал ждать раньше, чем приглашение было принято.' },
  not_installed: { en: 'Invite Desk is not fully installed in this portal; reinstall it.', ru: 'Invite Desk установлен в портале не полностью; переустановите приложение.' },
} satisfies Record<string, Record<Lang, string>>

export type ReasonKey = keyof typeof MESSAGES

export function reason(lang: Lang, key: ReasonKey, params: Record<string, string | number> = {}): string {
  return MESSAGES[key][lang].replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m))
}

export const langOf = (portalLang: string | undefined | null): Lang => (portalLang === 'ru' ? 'ru' : 'en')
