/**
 * The portal page that hosts an app: `GET /app/<clientId>?user=<id>&placement=<CODE>&options=<json>&lang=ru|en`
 * on the portal's own origin (the frame posts to `http://DOMAIN` and checks `event.origin`).
 *
 * Protocol (sdk-facts §5.2, b24jssdk frame/message/controller.mjs):
 * - the iframe is created with `name = "DOMAIN|0|APP_SID"` set before it is appended (changing `name`
 *   later leaves `window.name` empty in Chromium), then the documented fields are form-POSTed into it
 *   (settings/oauth/simple-way.md: query DOMAIN, PROTOCOL, LANG, APP_SID; body AUTH_ID …);
 * - frame → parent: `command[:paramsJSON]:callbackId:APP_SID` strings (or `{method, params, callback,
 *   appSid}` objects for commands containing `:`); the shell checks `event.source`, `event.origin` and APP_SID;
 * - parent → frame: `callbackId + ':' + JSON.stringify(answer)` posted to the app origin;
 * - `setInstallFinish` is not answered: the installation is finished on the emulator (ONAPPINSTALL is
 *   delivered) and the frame is reloaded with the main handler, as the real portal reloads
 *   (sdk/bx24-js-sdk/system-functions/bx24-install-finish.md).
 * Every command lands in `window.__shellMessages` and in `<pre id="shell-log">`.
 */
import type { Portal } from './portal.js'
import { ACCESS_TTL_SEC } from './tokens.js'

export interface ShellFrame {
  appSid: string
  domain: string
  url: string
  appOrigin: string
  install: boolean
  fields: Record<string, string>
  /** The `getInitData` answer. */
  init: Record<string, unknown>
}

/** Opens the app for a user: fresh tokens, a new APP_SID, and the getInitData payload. */
export function shellFrame(
  portal: Portal,
  clientId: string,
  opts: { userId: number; placement?: string; placementOptions?: Record<string, unknown>; lang?: string },
): ShellFrame {
  const fields = portal.appFrameFields(clientId, opts)
  const install = portal.requireInstall(clientId)
  const user = portal.usersById.get(opts.userId)
  const firstRun = !install.openedBy.has(opts.userId)
  install.openedBy.add(opts.userId)
  return {
    appSid: fields.appSid,
    domain: portal.domain,
    url: fields.url,
    appOrigin: new URL(fields.url).origin,
    install: fields.install,
    fields: fields.body,
    init: {
      LANG: fields.query.LANG,
      DOMAIN: portal.domain,
      PROTOCOL: 0,
      PATH: '/rest/',
      AUTH_ID: fields.body.AUTH_ID,
      AUTH_EXPIRES: String(ACCESS_TTL_SEC),
      REFRESH_ID: fields.body.REFRESH_ID,
      MEMBER_ID: portal.memberId,
      FIRST_RUN: firstRun,
      IS_ADMIN: user?.ADMIN ?? false,
      INSTALL: fields.install,
      USER_OPTIONS: { ...(install.userOptions.get(opts.userId) ?? {}) },
      APP_OPTIONS: { ...install.appOptions },
      PLACEMENT: fields.body.PLACEMENT,
      PLACEMENT_OPTIONS: opts.placementOptions ?? {},
    },
  }
}

const jsonForScript = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function renderShell(input: { portal: Portal; appCode: string; frame?: ShellFrame; notice?: string }): string {
  const config = { hooks: '/__emulator/frame', frame: input.frame ?? null, notice: input.notice ?? null }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Bitrix24 emulator · ${escapeHtml(input.appCode)}</title>
<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #eef2f4; }
  #shell-header { padding: 8px 16px; background: #2fc6f6; color: #fff; }
  #shell-title { font-weight: 600; }
  #shell-frame { background: #fff; margin: 8px; min-height: 200px; }
  #appframe { width: 100%; height: 640px; border: 0; display: block; }
  #shell-notice { padding: 24px; }
  #shell-log { margin: 8px; padding: 8px; background: #1f2933; color: #d9e2ec; font-size: 12px; max-height: 240px; overflow: auto; white-space: pre-wrap; }
</style>
</head>
<body>
<div id="shell-header"><span id="shell-title">${escapeHtml(input.appCode)}</span> · ${escapeHtml(input.portal.domain)} · member ${escapeHtml(input.portal.memberId)}</div>
<div id="shell-frame"></div>
<pre id="shell-log"></pre>
<script>window.__shellConfig = ${jsonForScript(config)};</script>
<script>
(function () {
  'use strict';
  var cfg = window.__shellConfig;
  var cur = null;
  var iframe = null;
  var logEl = document.getElementById('shell-log');
  window.__shellMessages = [];
  function log(line) { logEl.textContent += line + '\\n'; logEl.scrollTop = logEl.scrollHeight; }

  function mount(frame) {
    cur = frame;
    var holder = document.getElementById('shell-frame');
    holder.innerHTML = '';
    var f = document.createElement('iframe');
    f.id = 'appframe';
    // The name must be set before the element is attached.
    f.name = frame.domain + '|0|' + frame.appSid;
    holder.appendChild(f);
    iframe = f;
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = frame.url;
    form.target = f.name;
    form.style.display = 'none';
    Object.keys(frame.fields).forEach(function (k) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = k;
      input.value = frame.fields[k];
      form.appendChild(input);
    });
    holder.appendChild(form);
    form.submit();
    log('open ' + (frame.install ? 'installer ' : '') + frame.url.split('?')[0] + ' PLACEMENT=' + frame.fields.PLACEMENT);
  }

  function reply(callbackId, answer) {
    if (!iframe || !iframe.contentWindow || !callbackId) return;
    iframe.contentWindow.postMessage(callbackId + ':' + (answer === undefined ? '' : JSON.stringify(answer)), cur.appOrigin);
  }

  function hook(path, body) {
    return fetch(cfg.hooks + '/' + encodeURIComponent(cur.appSid) + '/' + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) { throw new Error(j && j.error || ('HTTP ' + r.status)); } return j; });
    });
  }

  function parse(data) {
    if (typeof data === 'string') {
      var r = data.split(':');
      if (r.length < 3) return null;
      return { command: r[0], params: r.slice(1, -2).join(':'), callback: r[r.length - 2], appSid: r[r.length - 1] };
    }
    if (data && typeof data === 'object' && typeof data.method === 'string') {
      return { command: data.method, params: data.params, callback: data.callback, appSid: data.appSid };
    }
    return null;
  }

  function px(v) { return typeof v === 'number' || /^\\d+$/.test(String(v)) ? v + 'px' : String(v); }

  function handle(cmd, params, cb) {
    switch (cmd) {
      case 'getInitData': reply(cb, cur.init); break;
      case 'setInstall': reply(cb, params || { install: true }); break;
      case 'refreshAuth':
        hook('refresh').then(function (a) {
          cur.init.AUTH_ID = a.AUTH_ID; cur.init.REFRESH_ID = a.REFRESH_ID; cur.init.AUTH_EXPIRES = a.AUTH_EXPIRES;
          reply(cb, a);
        }, function (e) { log('refreshAuth failed: ' + e.message); });
        break;
      case 'setInstallFinish':
        hook('install-finish').then(function (next) { log('installation finished, reloading the application'); mount(next); },
          function (e) { log('setInstallFinish failed: ' + e.message); });
        break;
      case 'resizeWindow':
        if (params && params.width !== undefined) iframe.style.width = px(params.width);
        if (params && params.height !== undefined) iframe.style.height = px(params.height);
        reply(cb, params); break;
      case 'setTitle':
        if (params && params.title !== undefined) { document.title = String(params.title); document.getElementById('shell-title').textContent = String(params.title); }
        reply(cb, params); break;
      case 'setScroll': reply(cb, params); break;
      case 'setAppOption':
      case 'setUserOption':
        hook('option', { kind: cmd === 'setAppOption' ? 'app' : 'user', name: params && params.name, value: params && params.value }).then(function (r) {
          if (r.stored) { (cmd === 'setAppOption' ? cur.init.APP_OPTIONS : cur.init.USER_OPTIONS)[params.name] = params.value; }
          reply(cb, params);
        }, function () { reply(cb, params); });
        break;
      case 'reloadWindow': hook('reload').then(mount); break;
      case 'selectUser':
        hook('select-user', { mult: !!(params && params.mult) }).then(function (r) { reply(cb, r.result); }); break;
      case 'selectAccess': reply(cb, []); break;
      case 'selectCRM': reply(cb, {}); break;
      case 'openPath': reply(cb, { result: 'close' }); break;
      case 'openApplication': reply(cb, {}); break;
      case 'closeApplication': break;
      case 'showAppForm': reply(cb, {}); break;
      case 'imCallTo': case 'imPhoneTo': case 'imOpenMessenger': case 'imOpenHistory': reply(cb, params); break;
      case 'getInterface': reply(cb, { command: [], event: [] }); break;
      case 'placementBindEvent': reply(cb, {}); break;
      default: log('unhandled command ' + cmd);
    }
  }

  window.addEventListener('message', function (e) {
    if (!iframe || e.source !== iframe.contentWindow) return;
    if (e.origin !== cur.appOrigin) { log('rejected a message from ' + e.origin); return; }
    var m = parse(e.data);
    if (!m) return;
    if (m.appSid !== cur.appSid) { log('rejected a message with a foreign APP_SID'); return; }
    var params = m.params;
    if (typeof params === 'string' && params !== '') { try { params = JSON.parse(params); } catch (err) { /* keep the raw string */ } }
    if (params === '') params = null;
    window.__shellMessages.push({ command: m.command, params: params, callbackId: m.callback, appSid: m.appSid, at: Date.now() });
    log('<- ' + m.command + (params ? ' ' + JSON.stringify(params) : ''));
    handle(m.command, params, m.callback);
  });

  if (cfg.notice) {
    var n = document.createElement('div');
    n.id = 'shell-notice';
    n.textContent = cfg.notice;
    document.getElementById('shell-frame').appendChild(n);
    log('notice: ' + cfg.notice);
  } else {
    mount(cfg.frame);
  }
})();
</script>
</body>
</html>`
}
