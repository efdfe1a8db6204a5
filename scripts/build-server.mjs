// Bundles the server's TypeScript (with @parley/* workspace packages inlined) into
// packages/server/dist/{main,cli}.js, so `npm start` runs plain Node with no compiler.
// npm dependencies stay external: native addons (better-sqlite3, sharp, argon2) load as usual.
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'packages/server/src/main.ts', cli: 'packages/server/src/cli.ts' },
  outdir: 'packages/server/dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'externalize-npm-dependencies',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@parley/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
console.log('built packages/server/dist/main.js and cli.js');
