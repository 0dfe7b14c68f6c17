// review.test.mjs - the reviewer's page in Debian's chromium against the real server: sign in,
// open the DP version, see the bias chart and the epsilon figure, approve as the reviewer, see the
// stage change, verify the approval's log entry in the browser. Screenshots go to MG_SHOT_DIR.
// Started by tests/test_browser.sh, which runs scripts/demo.sh first and passes its demo.env.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {chromium} from 'playwright-core';

const env = (k) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set (run this through tests/test_browser.sh)`);
    return v;
};
const url = env('MG_DEMO_URL');
const reviewer = env('MG_DEMO_REVIEWER');
const [dpModel, dpVersion] = env('MG_DEMO_DP').split('/');
const shots = env('MG_SHOT_DIR');

test('a reviewer signs in, reads the DP version, approves it and verifies the log entry', {timeout: 90000}, async () => {
    const profile = mkdtempSync(join(tmpdir(), 'mg-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.MG_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        viewport: {width: 1280, height: 800},
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const errors = [];
    const page = ctx.pages()[0] || await ctx.newPage();
    try {
        page.setDefaultTimeout(30000);
        page.on('pageerror', (e) => errors.push(e.message));

        // Sign in: a wrong token is refused in words, the right one opens the inventory.
        await page.goto(url);
        await page.getByLabel('API token').fill('not-a-token');
        await page.getByRole('button', {name: 'Sign in'}).click();
        await page.getByRole('alert').filter({hasText: 'does not know this token'}).waitFor();
        await page.getByLabel('API token').fill(reviewer);
        await page.keyboard.press('Enter');
        await page.locator('#inventory').waitFor();
        const stored = await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie]);
        assert.deepEqual(stored, [1, 0, ''], 'the token lives in sessionStorage only');
        const dpRow = page.locator('#inventory tbody tr', {hasText: dpModel});
        await assert.doesNotReject(dpRow.getByText('pending review').first().waitFor());
        await page.screenshot({path: join(shots, 'ui-inventory.png')});

        // The DP version: bias chart with its band, the epsilon figure.
        await dpRow.getByRole('link', {name: `v${dpVersion}`}).first().click();
        await page.getByRole('heading', {level: 1, name: new RegExp(`${dpModel} v${dpVersion}`)}).waitFor();
        const bars = page.locator('#bias-chart svg rect.bar');
        await bars.first().waitFor();
        assert.ok(await bars.count() >= 2, 'one bar per bias metric');
        assert.equal(await page.locator('#bias-chart svg rect.bar[data-metric="DI"]').count(), 1, 'DI has a bar');
        assert.ok(await page.locator('#bias-chart svg rect.band').count() >= 1, 'the policy band is drawn');
        const eps = Number(await page.locator('#epsilon').textContent());
        assert.ok(eps > 0 && eps < 100, `epsilon shown: ${eps}`);
        await page.locator('#gates').waitFor();

        // Approve (the gates hold for this version) and see the stage change.
        const approve = page.getByRole('button', {name: 'Approve'});
        assert.equal(await approve.isEnabled(), true,
            `approve is blocked: ${await page.locator('#gates-summary').textContent()} ${await page.locator('#gates').textContent()}`);
        await page.getByLabel('Comment (recorded in the signed log)').fill('Bias inside the band; epsilon within the policy.');
        await approve.click();
        await page.locator('#stage').filter({hasText: 'approved'}).waitFor();
        await page.getByRole('status').filter({hasText: 'now approved'}).waitFor();

        // Verify the newest log entry (the approval) in the browser.
        const last = page.locator('#log-table button.verify').last();
        await last.click();
        const verdict = page.locator('#log-table [data-verdict]').last();
        await verdict.waitFor();
        const text = await page.locator('#log-table .verify-result').last().textContent();
        assert.equal(await verdict.getAttribute('data-verdict'), 'accepted', text);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({path: join(shots, 'ui-version.png'), fullPage: true});
        assert.deepEqual(errors, [], 'no script errors on the page');
    } catch (e) {
        // what the page showed when it failed, for the CI log and artifacts
        await page.screenshot({path: join(shots, 'ui-failure.png'), fullPage: true}).catch(() => {});
        console.error(`page at failure: ${page.url()}; script errors: ${JSON.stringify(errors)}`);
        throw e;
    } finally {
        await ctx.close();
        rmSync(profile, {recursive: true, force: true});
    }
});
