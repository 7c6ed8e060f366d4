import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'

/** Debian's chromium (scripts/ensure-debian-packages.sh installs it), or CHROMIUM_PATH. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** Thrown by a browser test when Chromium is missing: it must fail, never skip. */
export const MISSING_CHROMIUM = `Chromium is not installed at ${CHROMIUM}: run \`bash scripts/ensure-debian-packages.sh\` (Debian's chromium package) and run the tests again`

/**
 * Headless Chromium as root on a machine with no network: no sandbox, and none of the background
 * services that would try to reach Google. Undefined when Chromium is missing (the test then fails
 * with {@link MISSING_CHROMIUM}; a hook that threw would count the test as skipped).
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
