import t from 'tap'
import { buildTestApp } from '../../helpers/build-test-app.js'

const WHO_COUNTS: Record<string, number> = {
  LU: 11, LI: 20, ST: 45, SP: 21, HT: 9, SI: 19, BL: 67, KI: 27, PC: 9, TE: 23, GB: 44, LR: 14, GV: 28, CV: 24,
}

t.test('channels and their WHO point counts', async (t) => {
  const { app, db } = await buildTestApp(t)

  const response = await app.inject({ url: '/v1/channels' })
  t.equal(response.statusCode, 200)
  const { items } = response.json()
  t.same(items.map((channel: { code: string }) => channel.code), Object.keys(WHO_COUNTS), 'the 14 channels in the standard order')
  for (const channel of items) t.equal(channel.pointCount, WHO_COUNTS[channel.code], `${channel.code} declares ${WHO_COUNTS[channel.code]} points`)

  // The seeded points themselves, not only the declared counts.
  const counted = await db.query<{ channel_code: string; points: string }>(
    'SELECT channel_code, count(*) AS points FROM acupoints WHERE channel_code IS NOT NULL GROUP BY channel_code',
  )
  const actual = Object.fromEntries(counted.rows.map((row) => [row.channel_code, Number(row.points)]))
  t.same(actual, WHO_COUNTS, 'the seed holds exactly the WHO points of each channel')
  t.equal(Object.values(actual).reduce((sum, count) => sum + count, 0), 361)
  const gaps = await db.query(
    `SELECT channel_code FROM acupoints WHERE channel_code IS NOT NULL GROUP BY channel_code
     HAVING min(number) <> 1 OR max(number) <> count(*) OR count(DISTINCT number) <> count(*)`,
  )
  t.same(gaps.rows, [], 'each channel is numbered 1..n without gaps')
  const codes = await db.query('SELECT code FROM acupoints WHERE channel_code IS NOT NULL AND code <> channel_code || number')
  t.equal(codes.rowCount, 0, 'every code is its channel code and number')

  const detail = await app.inject({ url: '/v1/channels/li' })
  t.equal(detail.statusCode, 200)
  const li = detail.json()
  t.equal(li.points.length, 20)
  t.equal(li.points[0].code, 'LI1')
  t.equal(li.points[19].code, 'LI20')

  t.equal((await app.inject({ url: '/v1/channels/xx' })).statusCode, 404)
  t.equal((await app.inject({ url: '/v1/channels/toolong' })).statusCode, 400)

  const etag = response.headers.etag as string
  const cached = await app.inject({ url: '/v1/channels', headers: { 'if-none-match': etag } })
  t.equal(cached.statusCode, 304)
  t.equal(cached.body, '')
})
