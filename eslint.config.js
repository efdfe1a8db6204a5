// ESLint: only rules that catch bugs or keep the architecture's import directions (ARCHITECTURE.md).
// Style is prettier's job (`npm run format`); unused files, exports and dependencies are knip's
// (knip.json). `npm run lint` runs both; `npm test` runs them after the typecheck.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import globals from 'globals';
import { readVueFilesAsScripts } from './scripts/eslint-vue-scripts.js';

readVueFilesAsScripts();

/** An import whose source matches `regex` is refused with `message`. */
const forbid = (regex, message) => ({ regex, message });

// Between packages: protocol ← sdk ← web, protocol ← server (sdk only in server tests).
const intoPackage = (name) => [`^@parley/${name}(/|$)`, `(^|/)${name}/src(/|$)`];
const noPackages = (names, why) => names.flatMap(intoPackage).map((regex) => forbid(regex, why));

// Inside the server. `testing/` is the test harness: tests and the harness itself only.
const noTesting = forbid('(^|/)testing/', 'Only tests use the test harness (server/src/testing).');
// The gateway and features sit on top of these layers: the layers never reach up to them.
const lowerLayer = [
  forbid('(^|/)features/', 'core/, db/, bus/, cache/, events/, presence/, files/, http/ and access/ never import a feature: features build on them.'),
  forbid('(^|/)gateway/', 'core/, db/, bus/, cache/, events/, presence/, files/, http/ and access/ never import the gateway: it builds on them.'),
  noTesting,
];
const feature = [
  // The gateway imports features (READY payloads, calls); gateway/url is a leaf with no imports.
  forbid('(^|/)gateway/(?!url$)', 'Features never import the gateway (it imports them); the discovery URL is in gateway/url.'),
  // A feature calls another through its exported functions (users/queries.ts…), never its routes.
  forbid('^\\.\\./[^/.]+/routes$', 'Call another feature through its exported functions, not its routes.ts.'),
  noTesting,
];

const webPackages = noPackages(['server'], 'The web client talks to the server over HTTP only: protocol and sdk, never server.');
// A chunk that fails to load (the server restarting, the network gone) must not take the app down.
const lazyComponentsOnly = {
  name: 'vue',
  importNames: ['defineAsyncComponent'],
  message: 'Use lazyComponent (ui/lazy.ts): it fetches the chunk again after a failure instead of showing the error screen.',
};

export default defineConfig(
  {
    ignores: ['**/dist/**', '.test-output/**', 'test-results/**', 'playwright-report/**', 'data/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },

  // TypeScript and Vue: type-aware, each file typed by its own tsconfig (projectService).
  {
    files: ['**/*.ts', '**/*.vue'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.vue'] },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A promise nobody awaits loses its errors: await it, or say `void` when that is the intent.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.vue'] },
    },
    rules: {
      // Guards against clashing with HTML elements in in-DOM templates and global registration;
      // every component here is an SFC imported where it is used, so `Composer` cannot clash.
      'vue/multi-word-component-names': 'off',
    },
  },
  {
    files: ['packages/web/src/**/*.{ts,vue,js}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['packages/web/src/pwa/service-worker.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ['bench/lib/*.browser.js'],
    languageOptions: { globals: { ...globals.browser } },
  },

  // Import direction between packages (`no-restricted-imports`).
  {
    files: ['packages/protocol/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: noPackages(['sdk', 'server', 'web'], 'protocol is the contract: it imports none of our packages.') }] },
  },
  {
    files: ['packages/sdk/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: noPackages(['server', 'web'], 'The sdk imports protocol only.') }] },
  },
  {
    files: ['packages/server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...noPackages(['web'], 'The server never imports the web client.'), ...noPackages(['sdk'], 'The server uses the sdk in its tests only.')] }],
    },
  },
  {
    files: ['packages/server/src/**/*.test.ts', 'packages/server/src/testing/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: noPackages(['web'], 'The server never imports the web client.') }] },
  },
  {
    files: ['packages/web/src/**/*.{ts,vue}'],
    rules: { 'no-restricted-imports': ['error', { patterns: webPackages, paths: [lazyComponentsOnly] }] },
  },
  {
    files: ['packages/web/src/ui/lazy.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: webPackages }] },
  },

  // Import direction inside the server and the web client (`@typescript-eslint/no-restricted-imports`,
  // a second instance so it adds to the package rule above). Later blocks replace earlier ones
  // for the files they match, so each repeats noTesting.
  {
    files: ['packages/server/src/**/*.ts'],
    ignores: ['packages/server/src/**/*.test.ts', 'packages/server/src/testing/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noTesting] }] },
  },
  {
    files: ['packages/server/src/{core,db,bus,cache,events,presence,files,http,access}/**/*.ts'],
    ignores: ['packages/server/src/**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: lowerLayer }] },
  },
  {
    files: ['packages/server/src/features/**/*.ts'],
    ignores: ['packages/server/src/**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: feature }] },
  },
  {
    // metrics/ is a leaf every layer may call into (one line where something happens): it imports
    // nothing of the server, only packages, so it can never pull a feature or the gateway down a layer.
    files: ['packages/server/src/metrics/**/*.ts'],
    ignores: ['packages/server/src/**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [forbid('^\\.\\./', 'metrics/ is a leaf: it imports packages and its own files only.'), noTesting] }] },
  },
  {
    files: ['packages/web/src/ui/**/*.{ts,vue}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [forbid('(^|/)features/', 'ui/ holds building blocks with no app knowledge: it never imports a feature.')] }],
    },
  },
);
