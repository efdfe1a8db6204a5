import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** `npm run dev -w @parley/web` proxies the API to a server on :8080 (see scripts/dev.mjs). */
const api = process.env.PARLEY_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [vue()],
  server: { proxy: { '/api': api, '/cdn': api } },
  // The manifest lets scripts/bundle-report.mjs measure what the chat route loads.
  build: { outDir: 'dist', sourcemap: true, reportCompressedSize: true, manifest: true },
});
