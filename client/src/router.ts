import { createMemoryHistory, createRouter, type RouteRecordRaw, type Router } from 'vue-router'
import { loadWorkMessages } from './i18n'
import type { SectionId } from './navigation'
import DashboardView from './views/DashboardView.vue'

/*
 * Memory history, not web or hash history:
 * - The iframe's URL is the portal's form-POST target (/app or /install) and must stay as it is.
 *   A pushState path like /settings would be requested with GET on reload and 404, since the
 *   server only serves the app for the portal's POST.
 * - Hash history would work on reload, but every hash change adds an entry to the *portal's*
 *   joint session history, so the browser's Back button would step through our tabs instead of
 *   leaving the page, and the hash would leak into the iframe's URL for no benefit.
 * - The portal re-POSTs (and we re-render the dashboard) whenever it reloads the frame, so there
 *   is no deep-linkable state to keep in the URL.
 */

declare module 'vue-router' {
  interface RouteMeta {
    section?: SectionId
  }
}

/** A lazy view of a working section: its chunk and its (lazy) message catalog, in parallel. */
function workView<T>(load: () => Promise<T>): () => Promise<T> {
  return () => Promise.all([load(), loadWorkMessages()]).then(([view]) => view)
}

export const routes: RouteRecordRaw[] = [
  // The dashboard is the first view: bundled with the entry. Everything else is a lazy chunk.
  { path: '/', name: 'dashboard', component: DashboardView, meta: { section: 'dashboard' } },
  { path: '/invites', name: 'invites', component: workView(() => import('./views/InvitesView.vue')), meta: { section: 'invites' } },
  { path: '/templates', name: 'templates', component: workView(() => import('./views/TemplatesView.vue')), meta: { section: 'templates' } },
  { path: '/extranet', name: 'extranet', component: workView(() => import('./views/ExtranetView.vue')), meta: { section: 'extranet' } },
  {
    path: '/extranet/:groupId(\\d+)',
    name: 'extranet-group',
    component: workView(() => import('./views/ExtranetGroupView.vue')),
    props: route => ({ groupId: Number(route.params.groupId) }),
    meta: { section: 'extranet' },
  },
  { path: '/collabs', name: 'collabs', component: workView(() => import('./views/CollabsView.vue')), meta: { section: 'collabs' } },
  {
    path: '/collabs/reviews/:reviewId([0-9a-f-]{36})',
    name: 'collab-review',
    component: workView(() => import('./views/CollabReviewView.vue')),
    props: route => ({ reviewId: String(route.params.reviewId) }),
    meta: { section: 'collabs' },
  },
  { path: '/requests', name: 'requests', component: workView(() => import('./views/RequestsView.vue')), meta: { section: 'requests' } },
  {
    path: '/requests/:requestId([0-9a-f-]{36})',
    name: 'request',
    component: workView(() => import('./views/RequestsView.vue')),
    props: route => ({ requestId: String(route.params.requestId) }),
    meta: { section: 'requests' },
  },
  // Join links: everyone (others than admins see their own links; the list says whether they may create one).
  { path: '/links', name: 'links', component: workView(() => import('./views/JoinLinksView.vue')), meta: { section: 'links' } },
  {
    path: '/links/:linkId([0-9a-f-]{36})',
    name: 'join-link',
    component: workView(() => import('./views/JoinLinkView.vue')),
    props: route => ({ linkId: String(route.params.linkId) }),
    meta: { section: 'links' },
  },
  // Focused views of the portal's placements (pinned home there, see placement.ts): a CRM card's tab, the profile menu.
  {
    path: '/embedded/crm/:entity(contact|company)/:entityId(\\d+)',
    name: 'embedded-crm',
    component: workView(() => import('./views/EmbeddedInviteView.vue')),
    props: route => ({ mode: 'crm', entity: String(route.params.entity), entityId: Number(route.params.entityId) }),
  },
  {
    path: '/embedded/colleague',
    name: 'embedded-colleague',
    component: workView(() => import('./views/EmbeddedInviteView.vue')),
    props: { mode: 'colleague' },
  },
  { path: '/automation', name: 'automation', component: workView(() => import('./views/AutomationView.vue')), meta: { section: 'automation' } },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { section: 'settings' } },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

/**
 * @param initialPath The first view (see placement.ts: a group tab's group, a CRM card's or the
 *   profile menu's invite form, or a deep link).
 * @param pinHome The first view also becomes home: the dashboard, which a placement's focused view
 *   has no navigation to, redirects there. Not for a deep link, after which the app is the whole app.
 */
export function createAppRouter(initialPath = '/', pinHome = false): Router {
  const history = createMemoryHistory()
  // Installing the router navigates to the history's location: start it at the first view, or that
  // navigation ('/') overtakes the one below while the first view's lazy chunk is still loading.
  history.replace(initialPath)
  const router = createRouter({
    history,
    routes,
    scrollBehavior: () => ({ top: 0 }),
  })
  if (pinHome && initialPath !== '/') router.beforeEach(to => (to.name === 'dashboard' ? initialPath : true))
  // Memory history starts nowhere; pick the first view explicitly.
  void router.push(initialPath)
  return router
}
