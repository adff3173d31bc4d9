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

  // Each channel's organ and names are standard facts, with their source.
  const ORGANS: Record<string, string | null> = {
    LU: 'lung', LI: 'large-intestine', ST: 'stomach', SP: 'spleen', HT: 'heart', SI: 'small-intestine', BL: 'bladder', KI: 'kidney',
    PC: 'pericardium', TE: 'triple-energizer', GB: 'gallbladder', LR: 'liver', GV: null, CV: null,
  }
  const body = response.json()
  t.equal(body.total, 14)
  t.equal(Object.keys(body.sources).length, 1, 'the channel facts cite one source, written once')
  for (const channel of items) {
    t.equal(channel.organ, ORGANS[channel.code], `${channel.code}: organ ${ORGANS[channel.code]}`)
    t.ok(channel.pinyin && channel.hanzi.traditional && channel.hanzi.simplified, `${channel.code}: pinyin and characters`)
    const facts = Object.fromEntries(channel.facts.map((fact: { attribute: string; value: string }) => [fact.attribute, fact.value]))
    t.same(facts, { organ: ORGANS[channel.code] ?? 'none', english_name: channel.name, pinyin: channel.pinyin, hanzi: channel.hanzi.traditional })
    for (const fact of channel.facts) {
      t.equal(fact.basis, 'standard')
      t.equal(body.sources[fact.sourceId].kind, 'standard', `${channel.code} ${fact.attribute}: sourced to a standard`)
    }
  }
  t.match(items.find((channel: { code: string }) => channel.code === 'GV').facts[0].statement, /no organ/)
  t.same(items.find((channel: { code: string }) => channel.code === 'LI').hanzi, { traditional: '手陽明大腸經', simplified: '手阳明大肠经' })

  const detail = await app.inject({ url: '/v1/channels/li' })
  t.equal(detail.statusCode, 200)
  const li = detail.json()
  t.equal(li.points.length, 20)
  t.equal(li.points[0].code, 'LI1')
  t.equal(li.points[19].code, 'LI20')
  t.equal(li.organ, 'large-intestine')
  t.same(Object.keys(li.sources), [li.facts[0].sourceId])
  t.ok(li.points.every((point: { channel: { organ: string }; location: string }) => point.channel.organ === 'large-intestine' && point.location))

  t.equal((await app.inject({ url: '/v1/channels/xx' })).statusCode, 404)
  t.equal((await app.inject({ url: '/v1/channels/toolong' })).statusCode, 400)

  const etag = response.headers.etag as string
  const cached = await app.inject({ url: '/v1/channels', headers: { 'if-none-match': etag } })
  t.equal(cached.statusCode, 304)
  t.equal(cached.body, '')
})
