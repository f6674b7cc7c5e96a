// The public defaults stay out of tests: a page left with Braid's default
// STUN servers and trackers refuses to start in test mode, and says why.
// Also the defaults' one list (api.defaults(), from Go) and the settings
// dialog's checks.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launch } from './lib/browser.mjs'
import { openBraid } from './lib/braidpage.mjs'
import { Cleanup, withTimeout } from './lib/env.mjs'
import { startServers } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let web

before(async () => {
  ({ web } = await startServers(cleanup, { tracker: false }))
}, { timeout: 60000 })
after(() => cleanup.run(), { timeout: 60000 })

test('a page left with the public defaults refuses to start in test mode', { timeout: 90000 }, async () => {
  // null: Braid's defaults apply, as for a page that names none.
  const b = await launch({ name: 'guard-defaults', origins: [web.url], braidConfig: { iceServers: null, publicTrackers: null } })
  cleanup.add(b.close)
  const page = await b.ctx.newPage()
  await page.goto(web.url)
  const state = await page.waitForFunction(() => document.querySelector('#status')?.dataset.state === 'failed' &&
    document.querySelector('#error-text')?.textContent, null, { timeout: 60000 }).then(h => h.jsonValue())
  assert.match(state, /test mode: refusing a public host: ICE server stun:/)
})

test('defaults() lists the public servers; the settings dialog checks its fields', { timeout: 90000 }, async () => {
  const b = await launch({ name: 'guard-settings', origins: [web.url] })
  cleanup.add(b.close)
  const page = await openBraid(b.ctx, web.url)
  const d = await withTimeout(page.evaluate(() => window.braid.defaults()), 10000, 'defaults()')
  assert.ok(d.iceServers.length > 0 && d.iceServers.every(s => s.urls.every(u => u.startsWith('stun:'))), JSON.stringify(d))
  assert.ok(d.publicTrackers.length > 0 && d.publicTrackers.every(u => u.startsWith('wss://')), JSON.stringify(d))
  // The dialog shows what the page started with: nothing, in tests.
  await page.click('#settings')
  assert.equal(await page.inputValue('#set-stun'), '')
  assert.equal(await page.inputValue('#set-trackers'), '')
  for (const [field, value, msg] of [
    ['#set-stun', 'http://x', /want stun:host:port/],
    ['#set-turn', 'turn:127.0.0.1:3478', /needs a username and a credential/],
    ['#set-trackers', 'https://tracker', /want ws:\/\/ or wss:\/\//]
  ]) {
    await page.fill(field, value)
    await page.click('#set-save')
    assert.match(await page.textContent('#set-error'), msg)
    await page.fill(field, '')
  }
  await page.check('#set-relay')
  await page.click('#set-save')
  assert.match(await page.textContent('#set-error'), /Relay only needs a TURN server/)
  assert.equal(await page.evaluate(() => localStorage.getItem('braid.settings')), null)
})
