// Example data for the OpenAPI document, taken from the seed: the article's six points (Yintang /
// EX-HN3, GB14, ST2, ST4, SI18, LI20) and its source. test/openapi/openapi-document.test.ts checks
// every example against its schema, so they cannot drift from what the API sends.

export const WHO_SOURCE_EXAMPLE = {
  id: '2f0c8a94-1c6b-4f59-8d2e-3a7b5c1d9e02',
  kind: 'standard',
  title: 'A Proposed Standard International Acupuncture Nomenclature',
  author: null,
  publisher: 'World Health Organization',
  url: null,
  publishedOn: '1991',
  note: 'Report of a WHO Scientific Group: standard codes and names of the channel points and of the extra points (EX-…).',
}

export const ARTICLE_SOURCE_EXAMPLE = {
  id: '5e3c1f0a-7b2d-4c6e-9a41-0d2f6b8c1a01',
  kind: 'article',
  title: 'All About Facial Acupuncture and its Benefits',
  author: 'Sole Toscana Beauty Team',
  publisher: 'Sole Toscana (beauty clinic blog)',
  url: null,
  publishedOn: null,
  note: 'A beauty clinic\'s blog post. Its cosmetic and organ claims are the clinic\'s own and are not supported by the WHO standard.',
}

export const WHO_2008_SOURCE_EXAMPLE = {
  id: '2f0c8a94-1c6b-4f59-8d2e-3a7b5c1d9e01',
  kind: 'standard',
  title: 'WHO Standard Acupuncture Point Locations in the Western Pacific Region',
  author: null,
  publisher: 'World Health Organization, Regional Office for the Western Pacific',
  url: null,
  publishedOn: '2008',
  note: 'Codes, pinyin names and Chinese characters are standard nomenclature. Locations are written in our own words.',
}

export const SOURCE_MAP_EXAMPLE = {
  [WHO_2008_SOURCE_EXAMPLE.id]: WHO_2008_SOURCE_EXAMPLE,
  [WHO_SOURCE_EXAMPLE.id]: WHO_SOURCE_EXAMPLE,
  [ARTICLE_SOURCE_EXAMPLE.id]: ARTICLE_SOURCE_EXAMPLE,
}

const CHANNELS: Record<string, { name: string; organ: string | null }> = {
  LI: { name: 'Large Intestine', organ: 'large-intestine' },
  ST: { name: 'Stomach', organ: 'stomach' },
}

const summary = (code: string, pinyin: string, hanzi: [string, string], englishName: string, channel: string | null, location: string) => ({
  code,
  alternateCodes: code === 'EX-HN3' ? ['GV29'] : [],
  pinyin,
  hanzi: { traditional: hanzi[0], simplified: hanzi[1] },
  englishName,
  channel: channel ? { code: channel, ...CHANNELS[channel]! } : null,
  region: 'face',
  location,
  locationNote: null,
})

export const YINTANG_SUMMARY = summary('EX-HN3', 'Yintang', ['印堂', '印堂'], 'Hall of Impression', null, 'On the forehead, midway between the inner ends of the two eyebrows.')
const LI20_LOCATION = 'In the nasolabial groove, level with the midpoint of the outer border of the nostril (ala of the nose).'
export const LI20_SUMMARY = summary('LI20', 'Yingxiang', ['迎香', '迎香'], 'Welcome Fragrance', 'LI', LI20_LOCATION)
export const ST4_SUMMARY = summary('ST4', 'Dicang', ['地倉', '地仓'], 'Earth Granary', 'ST', 'Beside the corner of the mouth, 0.4 B-cun lateral to it.')

export const ACUPOINT_LIST_EXAMPLE = { items: [ST4_SUMMARY, LI20_SUMMARY], nextCursor: 'eyJzIjowLCJrIjoyMDIwfQ', total: 2, sources: {} }

export const YINTANG_CLAIM = {
  id: '5e3c1f0a-7b2d-4c6e-9a41-0d2f6b8c1b02',
  basis: 'claim',
  acupointCode: 'EX-HN3',
  kind: 'cosmetic_effect',
  text: 'Said to relax the muscles between the eyes.',
  keyword: 'muscle-relaxation',
  source: ARTICLE_SOURCE_EXAMPLE,
}

export const YINTANG_POINT_CLAIM = {
  id: '5e3c1f0a-7b2d-4c6e-9a41-0d2f6b8c1b02',
  basis: 'claim',
  kind: 'cosmetic_effect',
  text: 'Said to relax the muscles between the eyes.',
  keyword: 'muscle-relaxation',
  sourceId: ARTICLE_SOURCE_EXAMPLE.id,
}

export const LI20_DETAIL = {
  ...LI20_SUMMARY,
  number: 20,
  cautions: [],
  standardSourceId: WHO_2008_SOURCE_EXAMPLE.id,
  facts: [
    {
      basis: 'standard',
      attribute: 'channel',
      value: 'LI',
      statement: 'LI20 is a point of the Large Intestine channel (LI).',
      sourceId: WHO_2008_SOURCE_EXAMPLE.id,
    },
    {
      basis: 'standard',
      attribute: 'channel_organ',
      value: 'large-intestine',
      statement: 'The Large Intestine channel (LI) is associated with the large intestine (zang-fu).',
      sourceId: WHO_SOURCE_EXAMPLE.id,
    },
    {
      basis: 'standard',
      attribute: 'location',
      value: LI20_LOCATION,
      statement: 'LI20\'s standard location, in our own words.',
      sourceId: WHO_2008_SOURCE_EXAMPLE.id,
    },
  ],
  claims: [{
    id: '5e3c1f0a-7b2d-4c6e-9a41-0d2f6b8c1b54',
    basis: 'claim',
    kind: 'linked_organ',
    text: 'Said to correspond to the heart and so to support healthy blood flow.',
    keyword: 'heart',
    sourceId: ARTICLE_SOURCE_EXAMPLE.id,
  }],
  articles: [{ slug: 'facial-acupuncture-six-points', title: 'Facial acupuncture: six points and what is claimed for them' }],
  figure: { href: '/v1/acupoints/LI20/figure.svg', views: ['front'] },
  sources: SOURCE_MAP_EXAMPLE,
}

export const LI_CHANNEL_EXAMPLE = {
  code: 'LI',
  name: 'Large Intestine',
  sequence: 2,
  pointCount: 20,
  organ: 'large-intestine',
  pinyin: 'Shouyangming Dachangjing',
  hanzi: { traditional: '手陽明大腸經', simplified: '手阳明大肠经' },
  facts: [{
    basis: 'standard',
    attribute: 'organ',
    value: 'large-intestine',
    statement: 'The Large Intestine channel (LI) is associated with the large intestine (zang-fu).',
    sourceId: WHO_SOURCE_EXAMPLE.id,
  }],
}

export const ARTICLE_SUMMARY_EXAMPLE = {
  slug: 'facial-acupuncture-six-points',
  title: 'Facial acupuncture: six points and what is claimed for them',
  summary: 'A beauty clinic\'s account of facial acupuncture, retold: six facial points, the cosmetic effects and organ links the clinic attributes to each, who should avoid it, and the course of sessions it suggests.',
  attribution: 'Retold by the acupoint-api editors from a blog post by the Sole Toscana Beauty Team',
  status: 'published',
  publishedAt: '2026-11-24T00:00:00.000Z',
  pointCodes: ['EX-HN3', 'GB14', 'ST2', 'ST4', 'SI18', 'LI20'],
  approvedCommentCount: 1,
}

export const PROBLEM_EXAMPLE = {
  type: 'urn:acupoint-api:problem:acupoint_not_found',
  title: 'Not found',
  status: 404,
  detail: 'No acupoint has the code "XX1".',
  instance: '/v1/acupoints/XX1',
  code: 'acupoint_not_found',
  requestId: 'e696f3fd-d101-4450-9ce2-9557120d5842',
}

export const PUBLIC_COMMENT_EXAMPLE = {
  id: '0b6f2d4e-8c1a-4e3b-9f5d-7a2c6e1b3d40',
  parentId: null,
  authorName: 'A reader',
  body: 'Does Yintang (EX-HN3) help with sleep, or only with frown lines?',
  withdrawn: false,
  createdAt: '2026-11-24T09:30:00.000Z',
}

export const COMMENT_ACCEPTED_EXAMPLE = {
  id: '0b6f2d4e-8c1a-4e3b-9f5d-7a2c6e1b3d40',
  status: 'pending',
  receiptToken: 'rcpt_3q2Yd8kP1xV7mN4bT9wZ0cL6fH5jR2sA',
  createdAt: '2026-11-24T09:30:00.000Z',
}
