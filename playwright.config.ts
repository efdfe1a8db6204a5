import { defineConfig } from '@playwright/test';

/**
 * Browser journeys in real headless Chromium (Debian's /usr/bin/chromium; Playwright never
 * downloads a browser here) against a real Parley server on SQLite, built and started fresh.
 */
const port = Number(process.env.E2E_PORT ?? 18_080);
/** Overridable, with the ports, so two checkouts' journeys can run side by side. */
const dataDir = process.env.E2E_DATA_DIR ?? '.test-output/e2e-data';
/** The journeys' SMTP server (e2e/mail-catcher.ts), and where specs ask it for mail. */
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? 18_025);
const mailPort = Number(process.env.E2E_MAIL_PORT ?? 18_026);
process.env.E2E_MAIL_URL = `http://127.0.0.1:${mailPort}`;

/** Single sign-on journeys (e2e/sso.spec.ts) sign in at a real OpenID provider started beside Parley. */
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 18_085);
const oidc = {
  server: {
    command: 'npx tsx e2e/oidc-provider.ts',
    url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
    env: { E2E_OIDC_PORT: String(oidcPort), E2E_PORT: String(port) },
    reuseExistingServer: false,
    timeout: 30_000,
  },
  env: {
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    OIDC_PROVIDERS: JSON.stringify([{ id: 'testid', name: 'Test ID', issuer: `http://127.0.0.1:${oidcPort}`, client_id: 'parley', client_secret: 'parley-test-client-secret' }]),
  },
};

/**
 * Each browser context is a Chromium window of its own, and Chromium 156 loads its address bar's
 * suggestion popups (WebUI pages, chrome://omnibox-popup.top-chrome) into every one: a third of a
 * journey's CPU, for popups no headless test opens (e2e/chromium.spec.ts checks they stay off).
 * Chromium keeps only the last --disable-features, so Playwright's own list comes first
 * (playwright-core's chromiumSwitches, Playwright 1.65).
 */
const playwrightDisabledFeatures =
  'AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,TcpPortRandomizationWin,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch';
const noBrowserUi = `--disable-features=${playwrightDisabledFeatures},WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup`;

export default defineConfig({
  testDir: 'e2e',
  // Call specs need fake media, coturn and a loopback-only network: playwright.calls.config.ts.
  testIgnore: 'calls/**',
  outputDir: '.test-output/e2e-artifacts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  // A bound, not a wait: journeys of several browsers take 10-30 s, more on a loaded machine.
  timeout: 60_000,
  // Also a bound: what takes half a second here took over 10 s on a CI machine loaded past its
  // two cores (a locator polled three times in those 10 s), so 20 s.
  expect: { timeout: 20_000 },
  reporter: [['list'], ['json', { outputFile: '.test-output/e2e-results.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    // Recording a trace costs every test a fifth of its time, and CI keeps nothing but its log:
    // traces only on a developer's machine (or with `--trace on`).
    trace: process.env.CI ? 'off' : 'retain-on-failure',
    screenshot: 'only-on-failure',
    // Each new context would install the service worker, which fetches and stores the whole app
    // shell (190 files): a quarter of a journey's time. Only pwa.spec.ts, which tests the worker,
    // lets it run; the app works the same without it (it serves only the shell's files).
    serviceWorkers: 'block',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', noBrowserUi],
    },
  },
  webServer: [
    {
      command: 'npx tsx e2e/mail-catcher.ts',
      url: `http://127.0.0.1:${mailPort}/health`,
      env: { E2E_SMTP_PORT: String(smtpPort), E2E_MAIL_PORT: String(mailPort) },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: `rm -rf ${dataDir} && node packages/server/dist/main.js`,
      url: `http://127.0.0.1:${port}/readyz`,
      // Tests fill channels with long histories through the API, faster than people type.
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        AUTH_RATE_LIMIT_IP: '1000/60',
        MESSAGE_RATE_LIMIT: '1000/10',
        SMTP_URL: `smtp://parley:secret@127.0.0.1:${smtpPort}`,
        MAIL_FROM: 'Parley <parley@e2e.test>',
        // e2e/push.spec.ts runs its push service on 127.0.0.1 (docs/push.md).
        PUSH_ALLOW_LOOPBACK: 'true',
        ...oidc.env,
      },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    oidc.server,
  ],
});
