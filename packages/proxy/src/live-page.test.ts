import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';

/**
 * The page at `GET /`, in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): two identical questions, the second comes from the cache and the live
 * numbers move. `SEMCACHE_PAGE_SCREENSHOT=1` also writes docs/proxy-page.png.
 */
const executablePath = '/usr/bin/chromium';
const hasChromium = existsSync(executablePath);
if (!hasChromium) {
  console.warn(`live-page.test.ts skipped: no ${executablePath} (apt-get install -y chromium)`);
}
const screenshotPath = fileURLToPath(new URL('../../../docs/proxy-page.png', import.meta.url));

describe.skipIf(!hasChromium)(
  `the live page in headless Chromium${hasChromium ? '' : ` (skipped: no ${executablePath}; apt-get install -y chromium)`}`,
  () => {
    let f: ProxyFixture;
    let profile: string;
    let browser: BrowserContext;
    beforeAll(async () => {
      // A model that takes 400 ms, so the page shows what a hit saves.
      f = await startFixture({}, { latencyMs: 400 });
      profile = await mkdtemp(join(tmpdir(), 'semcache-chromium-'));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 980, height: 760 },
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await f?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    test('the second identical question comes from the cache and the stats move', async () => {
      const page = await browser.newPage();
      await page.goto(new URL('/', f.url).href);
      await expect.poll(() => page.textContent('#hit-detail')).toContain('0 exact');
      await page.fill('#question', 'What does a semantic cache do for an LLM app?');

      await page.click('#send');
      await page.waitForSelector('#source[data-outcome="miss"]');
      expect(await page.textContent('#source')).toContain('from the upstream');
      expect(await page.textContent('#answer')).toContain(
        'Mock answer to "What does a semantic cache do',
      );

      await page.click('#send');
      await page.waitForSelector('#source[data-outcome="exact"]');
      expect(await page.textContent('#source')).toContain('from the cache (exact');

      // The numbers are polled from /stats without a reload.
      await expect.poll(() => page.textContent('#calls-saved'), { timeout: 5000 }).toBe('1');
      expect(await page.textContent('#hit-rate')).toBe('50.0 %');
      expect(await page.textContent('#hit-detail')).toContain('1 exact');
      expect(await page.textContent('#saved-usd')).toMatch(/^\$0\.0\d*[1-9]/);
      expect(await page.textContent('#latency-detail')).toMatch(/hit \d.* · miss \d/);
      expect(f.mock.requests.chat).toBe(1);
      if (process.env.SEMCACHE_PAGE_SCREENSHOT === '1') {
        await page.screenshot({ path: screenshotPath, fullPage: true });
      }
      await page.close();
    }, 60_000);
  },
);
