import './assets/css/main.css'
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import b24UiPlugin from '@bitrix24/b24ui-nuxt/vue-plugin'
import App from './App.vue'
import { configureAuth } from './api/http'
import { BOOT_KEY, readBoot } from './boot'
import { initB24 } from './composables/useB24'
import { createAppI18n } from './i18n'
import { initialPathFor, pinsHome } from './placement'
import { createAppRouter } from './router'
import { usePortalStore } from './stores/portal'
import { useSessionStore } from './stores/session'

const boot = readBoot(document)
document.documentElement.lang = boot.lang

const pinia = createPinia()
const i18n = createAppI18n(boot.lang)
document.title = i18n.global.t('app.name')

const app = createApp(App)
app.provide(BOOT_KEY, boot)
app.use(pinia)
app.use(i18n)
// Installed in every mode: B24 buttons and links resolve through vue-router. In a group's tab its page
// is home (as is the invite form in a CRM card's tab or the profile menu); a deep link
// (#/collabs/reviews/12, #/requests) only opens first.
app.use(
  boot.mode === 'app'
    ? createAppRouter(initialPathFor(boot.placement, boot.placementOptions, window.location.hash), pinsHome(boot.placement, boot.placementOptions))
    : createAppRouter('/'),
)
app.use(b24UiPlugin)

if (boot.mode === 'app') {
  const session = useSessionStore(pinia)
  session.setSession(boot.session)
  const portal = usePortalStore(pinia)
  portal.hydrate(boot)
  configureAuth({
    getToken: () => session.validToken(),
    renewToken: stale => session.renew(stale),
  })
}

app.mount('#app')

// Connect to the portal after the first render; nothing waits for it (see useB24).
void initB24()

if (boot.mode === 'app') {
  // Fresher user/portal data (e.g. the status changed since the page was served); the boot
  // document already rendered the shell, so a failure here only logs.
  usePortalStore(pinia)
    .refresh()
    .catch((error: unknown) => console.warn('[invite-desk] /api/me failed', error))
}
