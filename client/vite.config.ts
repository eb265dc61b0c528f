import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import bitrix24UIPluginVite from '@bitrix24/b24ui-nuxt/vite'

const clientRoot = fileURLToPath(new URL('.', import.meta.url))

// Built from the repository root with `vite build --config client/vite.config.ts`; `root` pins the
// project to client/ whatever the working directory is.
export default defineConfig({
  root: clientRoot,
  // The server answers the portal's iframe POST (/app, /install) with dist/client/index.html, so
  // asset URLs must be absolute: the document URL is not the directory the assets live in.
  base: '/',
  plugins: [
    vue(),
    bitrix24UIPluginVite({
      // B24Link renders RouterLink, so B24 buttons/menus with `to` navigate inside the SPA.
      router: true,
      // The portal decides the theme; no color-mode switcher, nothing written to localStorage.
      colorMode: false,
      // No Markdown/Prose components: with either flag on, the vue-plugin registers every Prose*
      // component globally (+80 kB gzip of JS in the entry, measured).
      prose: false,
      mdc: false,
      // Components and composables are imported explicitly in every SFC (typed by vue-tsc from a
      // clean checkout, greppable); no generated components.d.ts / auto-imports.d.ts in client/.
      components: false,
      autoImport: false,
      dts: false,
      // Generate theme CSS only for the B24* components our SFCs use (scans client/ for <B24…>
      // tags): 36 kB instead of 53 kB gzip. The theme templates are written to
      // client/node_modules/.b24ui-nuxt (git-ignored; tsconfig maps #build/b24ui there); Tailwind
      // scans that whole directory, so delete it if CSS grows after changing these options.
      experimental: { componentDetection: true },
    }),
  ],
  define: {
    // vue-i18n esm-bundler flags: Composition API only (no legacy API, no global <i18n-t>/$t
    // components), no devtools hook in production.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The UI kit alone is ~550 kB minified; the warning adds nothing once that is known.
    chunkSizeWarningLimit: 900,
  },
})
