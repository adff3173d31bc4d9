import t from 'tap'
import { clientKey } from '../../src/http/client-address.js'

t.test('IPv4 addresses are keyed as they are', async (t) => {
  t.equal(clientKey('203.0.113.7'), '203.0.113.7')
  t.not(clientKey('203.0.113.7'), clientKey('203.0.113.8'))
})

t.test('IPv6 addresses are keyed by their /64', async (t) => {
  t.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64')
  t.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), 'any spelling, any interface id')
  t.equal(clientKey('2001:DB8:1:2::9'), '2001:db8:1:2::/64', 'case does not matter')
  t.not(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'), 'the next /64 is someone else')
  t.equal(clientKey('::1'), '::/64')
  t.equal(clientKey('fe80::1%eth0'), 'fe80::/64', 'a zone id is dropped')
})

t.test('IPv4-mapped IPv6 addresses count as the IPv4 address', async (t) => {
  t.equal(clientKey('::ffff:198.51.100.4'), '198.51.100.4')
})

t.test('something that is not an address is keyed as it is', async (t) => {
  t.equal(clientKey('unknown'), 'unknown')
  t.equal(clientKey(''), '')
})
