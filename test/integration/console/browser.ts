/**
 * Debian's chromium driven by playwright-core (browsers cannot be downloaded here), a fresh
 * profile per test, plus the two checks every console page gets: axe-core (no serious or
 * critical violation) and a screenshot for docs/console.md.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../../src/dev/services.js';

export const CHROMIUM = process.env.SF_TEST_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'console');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function openBrowser(t: TestContext): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const profile = mkdtempSync(join(tmpdir(), 'sf-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  // Uncaught page errors fail the test at its end: a console that throws is broken even if it renders.
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** axe-core over the current page: no serious or critical violation (WCAG 2.x A/AA rules included). */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`),
    [],
    `${what}: axe-core violations`,
  );
}

/** Full page by default; `fullPage: false` keeps long tables to the first screen. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}
