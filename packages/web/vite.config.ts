import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import vue from '@vitejs/plugin-vue';
import { type Plugin, type Rollup, defineConfig } from 'vite';

/** `npm run dev -w @parley/web` proxies the API to a server on :8080 (see scripts/dev.mjs). */
const api = process.env.PARLEY_API ?? 'http://127.0.0.1:8080';

/** Every file under `dir`, at any depth, as full paths. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

/**
 * Emits /sw.js (src/pwa/service-worker.js) with the list of files that make up this build's
 * app shell: index.html, every bundled asset (not source maps, not what fetchedOnDemand names)
 * and the public files, and a
 * version derived from that list, so each build installs as a new worker with a fresh cache.
 */
function serviceWorker(): Plugin {
  const publicDir = path.resolve(import.meta.dirname, 'public');
  const publicFiles = () => filesUnder(publicDir).map((file) => `/${path.relative(publicDir, file).split(path.sep).join('/')}`);
  return {
    name: 'parley-service-worker',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const built = Object.entries(bundle)
        .filter(([file, output]) => !file.endsWith('.map') && !fetchedOnDemand(file, output))
        .map(([file]) => `/${file}`);
      const shell = [...new Set([...built, ...publicFiles()])].sort();
      const version = createHash('sha256');
      for (const file of shell) {
        const output = bundle[file.slice(1)];
        version.update(file).update(output ? (output.type === 'chunk' ? output.code : output.source) : fs.readFileSync(path.join(publicDir, file)));
      }
      const source = fs
        .readFileSync(path.resolve(import.meta.dirname, 'src/pwa/service-worker.js'), 'utf8')
        .replace('self.__PARLEY_SHELL__', JSON.stringify(shell))
        .replace('self.__PARLEY_VERSION__', JSON.stringify(version.digest('hex').slice(0, 16)));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

/**
 * Call encryption's libsodium (about 300 KB, in its chunk and in the encryption worker) is
 * fetched the first time someone calls, not installed with the shell for everyone.
 */
function fetchedOnDemand(file: string, output: Rollup.OutputAsset | Rollup.OutputChunk): boolean {
  if (output.type === 'chunk') return Object.keys(output.modules).some((id) => id.includes('/libsodium'));
  return /^assets\/worker-[^/]*\.js$/.test(file);
}

/**
 * Writes a brotli (quality 11) and a gzip (level 9) copy beside every compressible file of the
 * build, once, so the server sends those (@fastify/static `preCompressed`) instead of compressing
 * the same scripts again for every page load, and at a level too slow to spend per request.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'parley-precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const file of filesUnder(outDir)) {
        if (!/\.(js|css|html|svg|json|webmanifest)$/.test(file)) continue;
        const content = fs.readFileSync(file);
        if (content.length < 1024) continue;
        fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: content.length } }));
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(content, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [vue(), serviceWorker(), precompress()],
  server: { proxy: { '/api': api, '/cdn': api } },
  // The manifest lets scripts/bundle-report.mjs measure what the chat route loads.
  build: { outDir: 'dist', sourcemap: true, reportCompressedSize: true, manifest: true },
  // Workers are started as modules (`type: 'module'`): the call-encryption worker.
  worker: { format: 'es' },
});
