import { defineConfig } from 'vite';

// No React plugin: esbuild compiles JSX with the automatic runtime, and the dashboard needs no fast
// refresh badly enough to pull in Babel. `npm run dev -w @celeriac/dashboard` proxies the API to a
// gateway on CELERIAC_GATEWAY_URL (default the one `npm start` runs).
const gateway = process.env.CELERIAC_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: gateway, ws: true },
      '/ws': { target: gateway.replace(/^http/, 'ws'), ws: true },
    },
  },
});
