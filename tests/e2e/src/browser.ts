/**
 * Debian's Chromium, driven by playwright-core (no browser download: `npx playwright install`
 * fails on our machines). Installed by tools/browser/install.sh; under CI=true a missing one
 * fails the suite, elsewhere it is skipped with a loud banner.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['FJORD_CHROMIUM'] ?? '/usr/bin/chromium';

export function requireChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env['CI'] === 'true') throw new Error(`CI=true and there is no Chromium at ${CHROMIUM}: .ci/run must install it (tools/browser/install.sh)`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the browser suite: no Chromium at ${CHROMIUM}.\n!! Run: bash tools/browser/install.sh\n${'!'.repeat(78)}\n`);
  return false;
}

/**
 * A headless Chromium (playwright gives it a fresh profile of its own); without the
 * background-networking flags it floods the closed network with refused connections.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
