/**
 * The live view in a real browser (Debian's Chromium, driven by playwright-core): the embedded
 * stack with its console, a boot through the api, and its arrows appearing in order under its
 * request id; the filter; a click that opens the message as it was on the wire; the counters.
 * It leaves screenshots in tmp/: the page after the boot, and one request with a message open.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { launchChromium, requireChromium } from '../src/browser.js';
import { Cloud } from '../src/client.js';

const SCREENSHOTS = resolve(import.meta.dirname, '../../../tmp');
const ready = requireChromium();

/** What a row of the diagram says: `kind from→to label`. */
async function rowsOf(page: Page, requestId?: string): Promise<string[]> {
  const selector = requestId ? `g.arrow[data-request-id="${requestId}"]` : 'g.arrow';
  return page.$$eval(selector, (rows) =>
    rows.map((row) => `${row.getAttribute('data-kind')} ${row.getAttribute('data-from')}→${row.getAttribute('data-to')} ${row.querySelector('text.label')?.textContent}`),
  );
}

/** Every `expected` entry, in this order, among `rows` (other rows may come in between). */
function inOrder(rows: string[], expected: string[]): boolean {
  let at = 0;
  for (const row of rows) if (at < expected.length && row.startsWith(expected[at]!)) at++;
  return at === expected.length;
}

describe.runIf(ready)('the live view of the bus, in Chromium', () => {
  let stack: Devstack;
  let cloud: Cloud;
  let browser: Browser;
  let page: Page;
  const boots: string[] = [];

  beforeAll(async () => {
    stack = await startDevstack({
      standardPorts: false,
      inMemoryDatabases: true,
      vhostPrefix: `console-${randomUUID()}-`,
      computeHosts: 2,
      spawnDelay: 0.05,
      logLevel: 'silent',
    });
    cloud = new Cloud(stack.urls);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
    await page.goto(stack.urls.console!);
    await page.locator('#status.live').waitFor({ timeout: 10_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 30_000);

  async function boot(name: string): Promise<string> {
    const requestId = `req-${randomUUID()}`;
    const blank = { source_type: 'blank', destination_type: 'volume', volume_size: 1 };
    const created = await cloud.boot({ name, block_device_mapping_v2: [blank] }, requestId);
    expect(created.status).toBe(202);
    expect((await cloud.waitForStatus(created.body.server.id, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
    boots.push(requestId);
    return requestId;
  }

  it('draws a boot as it happens: its arrows in order under its request id', async () => {
    const requestId = await boot('console-vm1');
    // The last message of a boot: the page must show it without a reload.
    await page.locator(`g.arrow[data-request-id="${requestId}"]`, { hasText: 'compute.instance.create.end' }).waitFor({ timeout: 10_000 });
    const rows = await rowsOf(page, requestId);
    const expected = [
      'rest api→image GET /v2/images/{id} → 200',
      'call api→scheduler call select_destinations v4.0',
      'cast api→compute',
      'notification compute',
      'rest compute',
      'cast volume→volume1@lvm cast create_volume',
      'call volume→volume1@lvm call attach_volume',
      'notification volume1@lvm→metering volume.attach.end (INFO)',
      'notification compute',
    ];
    expect(inOrder(rows, expected), rows.join('\n')).toBe(true);
    expect(rows.at(-1)).toMatch(/compute.instance.create.end/);
    // Replies carry no request id; they are drawn back to the caller with the round trip.
    const reply = page.locator('g.arrow[data-kind="reply"][data-from="scheduler"][data-to="api"]').last();
    await expect(reply.locator('text.via').textContent()).resolves.toMatch(/reply_\{uuid\} · [\d.]+ ms/);
    const lanes = await page.$$eval('#lane-names div', (names) => names.map((name) => name.textContent));
    expect(lanes.slice(0, 3)).toEqual(['api', 'image', 'scheduler']);
    expect(lanes).toEqual(expect.arrayContaining(['compute1', 'volume', 'volume1@lvm', 'metering']));
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: resolve(SCREENSHOTS, 'console-after-boot.png') });
  });

  it('filters on a request id: only that request and the replies to its calls remain', async () => {
    const second = await boot('console-vm2');
    const first = boots[0]!;
    await page.locator(`g.arrow[data-request-id="${second}"]`, { hasText: 'compute.instance.create.end' }).waitFor({ timeout: 10_000 });
    await page.fill('#request-id', first);
    await page.click('#filter button[type=submit]');
    const ids = await page.$$eval('g.arrow', (rows) => rows.map((row) => `${row.getAttribute('data-kind')}:${row.getAttribute('data-request-id')}`));
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(id === `reply:` || id.endsWith(`:${first}`), id).toBe(true);
    expect(ids.filter((id) => id === 'reply:').length).toBeGreaterThanOrEqual(2); // select_destinations, attach_volume
    expect(new URL(page.url()).searchParams.get('request_id')).toBe(first);
    // A click on a request id in the diagram filters on it too.
    await page.click('#clear-filter');
    await page.locator(`g.arrow[data-request-id="${second}"] text.request`).first().click();
    await expect(page.inputValue('#request-id')).resolves.toBe(second);
    expect((await rowsOf(page)).length).toBe((await rowsOf(page, second)).length + (await page.$$('g.arrow[data-kind="reply"]')).length);
  });

  it('opens a message as it was on the wire: envelope, context, arguments', async () => {
    const requestId = boots[1]!;
    await page.locator(`g.arrow[data-request-id="${requestId}"][data-kind="cast"]`, { hasText: 'build_and_run_instance' }).click();
    const message = page.locator('#message');
    await message.locator('h3', { hasText: 'Body' }).waitFor({ timeout: 5_000 });
    const text = (await message.textContent()) ?? '';
    expect(text).toContain('cast build_and_run_instance v6.0');
    expect(text).toContain('"oslo.version": "2.0"');
    expect(text).toContain(`"request_id": "${requestId}"`);
    expect(text).toMatch(/"instance":/);
    expect(text).toMatch(/exchange\s*nova/);
    expect(text).toMatch(/routing key\s*compute\.compute\d/);
    await page.screenshot({ path: resolve(SCREENSHOTS, 'console-message.png') });
  });

  it('counts messages per topic and method', async () => {
    const row = page.locator('#counters tr', { hasText: 'scheduler · select_destinations' });
    await row.waitFor({ timeout: 5_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('call');
    expect(Number(cells[2])).toBeGreaterThanOrEqual(2);
    expect(Number.parseFloat(cells[4] ?? '')).toBeGreaterThan(0);
  });
});
