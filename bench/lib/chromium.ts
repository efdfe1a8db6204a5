import { type Browser, type BrowserServer, type Page, chromium } from '@playwright/test';
import callJourneys from '../../playwright.calls.config';
import { CALL_PROBE_SCRIPT } from './call-probe';
import { commandLineOf } from './system';

/**
 * One person's own Chromium process (Debian's /usr/bin/chromium with the call specs' flags: fake
 * camera and microphone, permission prompts accepted, loopback peer connections allowed), so
 * their CPU can be told apart from everyone else's: `pid` roots the browser's process tree.
 */
export interface ChromiumPerson {
  browser: Browser;
  page: Page;
  pid: number;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Scripts (plain JavaScript source) run in every page before the web client loads; default none. */
  initScripts?: readonly string[];
  /** Install the calls bench's probe (call-probe.browser.js); default true. */
  callProbe?: boolean;
}

/**
 * Launches a headless Chromium for one person and opens a page on `baseUrl`, signed in with
 * `token` as the web client keeps it, with the bench's probe (and `initScripts`) installed before
 * the client loads. Playwright removes the browser's temporary profile when it closes, and kills
 * it if the bench dies.
 */
export async function launchPerson(baseUrl: string, token: string, options: LaunchOptions = {}): Promise<ChromiumPerson> {
  const launchOptions = callJourneys.use?.launchOptions ?? {};
  const server: BrowserServer = await chromium.launchServer({ ...launchOptions, headless: true });
  const pid = server.process().pid;
  if (pid === undefined) throw new Error('Chromium did not start');
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    const context = await browser.newContext({ baseURL: baseUrl });
    if (options.callProbe ?? true) await context.addInitScript({ path: CALL_PROBE_SCRIPT });
    for (const content of options.initScripts ?? []) await context.addInitScript({ content });
    const page = await context.newPage();
    await page.goto('/');
    await page.evaluate((token) => localStorage.setItem('parley.token', token), token);
    return {
      browser,
      page,
      pid,
      close: async () => {
        await browser.close().catch(() => undefined);
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * What a Chromium process does, from its command line: "browser" (the main process, or the
 * launcher script around it), "renderer", "gpu-process", or a utility service by name
 * ("network", "audio", "video_capture", …).
 */
export function chromiumProcessKind(pid: number): string {
  const args = commandLineOf(pid);
  const value = (flag: string) => args.find((arg) => arg.startsWith(`--${flag}=`))?.slice(flag.length + 3) ?? null;
  const type = value('type');
  if (type === 'utility') return value('utility-sub-type')?.split('.')[0] ?? 'utility';
  return type ?? 'browser';
}
