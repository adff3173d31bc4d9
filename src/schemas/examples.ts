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

const summary = (code: string, pinyin: string, hanzi: [string, string], englishName: string, channel: [string, string] | null, location: string) => ({
  code,
  alternateCodes: code === 'EX-HN3' ? ['GV29'] : [],
  pinyin,
  hanzi: { traditional: hanzi[0], simplified: hanzi[1] },
  englishName,
  channel: channel ? { code: channel[0], name: channel[1] } : null,
  region: 'face',
  location,
})

export const YINTANG_SUMMARY = summary('EX-HN3', 'Yintang', ['印堂', '印堂'], 'Hall of Impression', null, 'On the forehead, midway between the inner ends of the two eyebrows.')
export const LI20_SUMMARY = summary('LI20', 'Yingxiang', ['迎香', '迎香'], 'Welcome Fragrance', ['LI', 'Large Intestine'], 'In the nasolabial groove, level with the midpoint of the outer border of the nostril.')
export const ST4_SUMMARY = summary('ST4', 'Dicang', ['地倉', '地仓'], 'Earth Granary', ['ST', 'Stomach'], 'Beside the corner of the mouth.')

export const ACUPOINT_LIST_EXAMPLE = { items: [ST4_SUMMARY, LI20_SUMMARY], nextCursor: 'eyJrIjoyMDIwfQ' }

export const YINTANG_CLAIM = {
  id: '5e3c1f0a-7b2d-4c6e-9a41-0d2f6b8c1b02',
  basis: 'claim',
  acupointCode: 'EX-HN3',
  kind: 'cosmetic_effect',
  text: 'Said to relax the muscles between the eyes.',
  keyword: 'frown-lines',
  source: ARTICLE_SOURCE_EXAMPLE,
}

export const YINTANG_DETAIL = {
  ...YINTANG_SUMMARY,
  number: null,
  cautions: [],
  standardSource: WHO_SOURCE_EXAMPLE,
  facts: [{
    basis: 'standard',
    attribute: 'region',
    value: 'face',
    statement: 'EX-HN3 lies on the face.',
    source: WHO_SOURCE_EXAMPLE,
  }],
  claims: [YINTANG_CLAIM],
  articles: [{ slug: 'facial-acupuncture-six-points', title: 'Facial acupuncture: six points and what is claimed for them' }],
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
  createdAt: '2026-11-24T09:30:00.000Z',
}

export const COMMENT_ACCEPTED_EXAMPLE = {
  id: '0b6f2d4e-8c1a-4e3b-9f5d-7a2c6e1b3d40',
  status: 'pending',
  receiptToken: 'rcpt_3q2Yd8kP1xV7mN4bT9wZ0cL6fH5jR2sA',
  createdAt: '2026-11-24T09:30:00.000Z',
}
