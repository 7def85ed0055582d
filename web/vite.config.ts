// Vite builds the single-page app into web/dist/client, which the gateway serves at `/`
// (services/gateway/src/web-client.ts). Hashed file names under assets/ let the gateway cache them
// for a year; no inline script or style is emitted, so the strict CSP holds.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist/client', // beside dist/types (tsc -b's declarations), which are never served
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0, // data: URLs would be fine for the CSP, but files cache better
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // packages/contracts builds its TypeBox schemas at module level; the page needs only its
      // constants (socket event names), so schema constructions it never reads are dropped.
      treeshake: {
        manualPureFunctions: ['Type'],
        moduleSideEffects: (id: string) => !/[\\/](typebox|contracts)[\\/]/.test(id),
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
