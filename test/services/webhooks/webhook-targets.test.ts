import t from 'tap'
import { isPublicAddress, parseTargetUrl, resolveTarget, WebhookTargetError } from '../../../src/services/webhooks/webhook-targets.js'

t.test('only public unicast addresses count as public', async (t) => {
  for (const address of ['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111']) t.ok(isPublicAddress(address), `${address}: public`)
  for (const address of [
    '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '192.0.2.1', '::1', '::', 'fe80::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-address',
  ]) t.notOk(isPublicAddress(address), `${address}: not public`)
})

t.test('URLs: http(s) only, no credentials; private targets refused unless allowed', async (t) => {
  t.throws(() => parseTargetUrl('ftp://example.org/'), WebhookTargetError)
  t.throws(() => parseTargetUrl('https://user:secret@example.org/'), WebhookTargetError)
  t.throws(() => parseTargetUrl('not a url'), WebhookTargetError)
  t.equal(parseTargetUrl('https://example.org/hook').hostname, 'example.org')
  await t.rejects(resolveTarget('http://127.0.0.1:9/', false), /not a public address/)
  await t.rejects(resolveTarget('http://[::1]:9/', false), /not a public address/)
  await t.rejects(resolveTarget('http://localhost:9/', false), /localhost resolves to .* not a public address/)
  t.match(await resolveTarget('http://localhost:9/', true), { address: /^(127\.0\.0\.1|::1)$/ })
  t.match(await resolveTarget('http://[::1]:9/', true), { address: '::1', family: 6 })
  await t.rejects(resolveTarget('https://nothing.example.invalid/', false), /does not resolve/)
})
