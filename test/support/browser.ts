import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/install-test-services.sh installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium off the network of this machine (it may reach nothing outside). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Whether the browser tests run here: skipped with a hint without Chromium, failed in CI. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/install-test-services.sh)`);
  process.stderr.write(`browser tests skipped: ${CHROMIUM} is missing; install it with: apt-get install chromium (or bash .ci/install-test-services.sh)\n`);
  return false;
}

/**
 * Headless Chromium with a fresh profile, driven by playwright-core. `extraArgs`: more flags,
 * e.g. `--host-resolver-rules=MAP evil.example 127.0.0.1` to play a site that rebinds to loopback.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'inbox-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, ...extraArgs] });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
