import { Type } from 'typebox'
import { CLAIM_KINDS, REGIONS, SOURCE_KINDS } from './reference-schemas.js'

const enumOf = <T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])
const Text = (maxLength: number, options: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', ...options })
const PointCode = Type.String({ minLength: 2, maxLength: 16, pattern: '^[A-Za-z]{1,4}(-[A-Za-z]{1,4})?-?[0-9]{1,3}$' })

const acupointFields = {
  alternateCodes: Type.Array(PointCode, { maxItems: 10, uniqueItems: true }),
  channel: Type.Union([Type.String({ maxLength: 2, pattern: '^[A-Za-z]{2}$' }), Type.Null()], { description: 'Channel code, or null for an extra point' }),
  number: Type.Union([Type.Integer({ minimum: 1, maximum: 99 }), Type.Null()]),
  pinyin: Text(100, { examples: ['Yingxiang'] }),
  hanziTraditional: Text(20, { examples: ['迎香'] }),
  hanziSimplified: Text(20, { examples: ['迎香'] }),
  englishName: Text(200, { examples: ['Welcome Fragrance'] }),
  region: Type.Union([enumOf(REGIONS), Type.Null()]),
  location: Nullable(Text(2000)),
  locationNote: Type.Union([Text(2000), Type.Null()], { description: 'Where the location is uncertain or disputed; null for none' }),
  cautions: Type.Array(Text(1000), { maxItems: 20 }),
  standardSourceId: Type.String({ format: 'uuid' }),
}

export const AcupointCreateBody = Type.Object(
  {
    code: { ...PointCode, examples: ['EX-HN5'] },
    alternateCodes: Type.Optional(acupointFields.alternateCodes),
    channel: Type.Optional(acupointFields.channel),
    number: Type.Optional(acupointFields.number),
    pinyin: acupointFields.pinyin,
    hanziTraditional: acupointFields.hanziTraditional,
    hanziSimplified: acupointFields.hanziSimplified,
    englishName: acupointFields.englishName,
    region: Type.Optional(acupointFields.region),
    location: Type.Optional(acupointFields.location),
    locationNote: Type.Optional(acupointFields.locationNote),
    cautions: Type.Optional(acupointFields.cautions),
    standardSourceId: acupointFields.standardSourceId,
  },
  { additionalProperties: false },
)

export const AcupointPatchBody = Type.Object(
  {
    alternateCodes: Type.Optional(acupointFields.alternateCodes),
    channel: Type.Optional(acupointFields.channel),
    number: Type.Optional(acupointFields.number),
    pinyin: Type.Optional(acupointFields.pinyin),
    hanziTraditional: Type.Optional(acupointFields.hanziTraditional),
    hanziSimplified: Type.Optional(acupointFields.hanziSimplified),
    englishName: Type.Optional(acupointFields.englishName),
    region: Type.Optional(acupointFields.region),
    location: Type.Optional(acupointFields.location),
    locationNote: Type.Optional(acupointFields.locationNote),
    cautions: Type.Optional(acupointFields.cautions),
    standardSourceId: Type.Optional(acupointFields.standardSourceId),
  },
  { additionalProperties: false, minProperties: 1, description: 'Only the fields to change. The code cannot change.' },
)

export const ClaimCreateBody = Type.Object(
  {
    kind: enumOf(CLAIM_KINDS),
    text: Text(1000, { examples: ['Said to ease smile lines.'] }),
    keyword: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z][A-Za-z -]*$', examples: ['smile-lines'] }))),
    sourceId: Type.String({ format: 'uuid' }),
  },
  { additionalProperties: false },
)

export const ClaimPatchBody = Type.Object(
  {
    kind: Type.Optional(enumOf(CLAIM_KINDS)),
    text: Type.Optional(Text(1000)),
    keyword: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z][A-Za-z -]*$' }))),
    sourceId: Type.Optional(Type.String({ format: 'uuid' })),
  },
  { additionalProperties: false, minProperties: 1 },
)

const sourceFields = {
  kind: enumOf(SOURCE_KINDS),
  title: Text(500, { examples: ['WHO Standard Acupuncture Point Locations in the Western Pacific Region'] }),
  author: Nullable(Text(300)),
  publisher: Nullable(Text(300)),
  url: Nullable(Type.String({ format: 'uri', maxLength: 2000, pattern: '^https?://' })),
  publishedOn: Nullable(Type.String({ maxLength: 10, pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$', description: 'YYYY, YYYY-MM or YYYY-MM-DD' })),
  note: Nullable(Text(2000)),
}

export const SourceCreateBody = Type.Object(
  {
    kind: sourceFields.kind,
    title: sourceFields.title,
    author: Type.Optional(sourceFields.author),
    publisher: Type.Optional(sourceFields.publisher),
    url: Type.Optional(sourceFields.url),
    publishedOn: Type.Optional(sourceFields.publishedOn),
    note: Type.Optional(sourceFields.note),
  },
  { additionalProperties: false },
)

export const SourcePatchBody = Type.Object(
  {
    kind: Type.Optional(sourceFields.kind),
    title: Type.Optional(sourceFields.title),
    author: Type.Optional(sourceFields.author),
    publisher: Type.Optional(sourceFields.publisher),
    url: Type.Optional(sourceFields.url),
    publishedOn: Type.Optional(sourceFields.publishedOn),
    note: Type.Optional(sourceFields.note),
  },
  { additionalProperties: false, minProperties: 1 },
)

const articleFields = {
  title: Text(300),
  summary: Text(2000),
  body: Text(100_000, { description: 'Markdown' }),
  attribution: Text(500),
  sourceUrl: Nullable(Type.String({ format: 'uri', maxLength: 2000, pattern: '^https?://' })),
  sourceId: Nullable(Type.String({ format: 'uuid' })),
  points: Type.Array(PointCode, { maxItems: 100, description: 'Point codes, in the order the article discusses them' }),
  cautions: Type.Array(Type.Ref('Caution'), { maxItems: 50 }),
  treatmentPlan: Type.Union([Type.Ref('TreatmentPlan'), Type.Null()]),
  commentsOpen: Type.Boolean({
    description:
      'Whether the comment thread takes new comments (default true). False closes it: submissions get 403 `comments_closed`, ' +
      'and the approved comments stay readable. A thread also closes on its own COMMENTS_CLOSE_AFTER_DAYS after `publishedAt` ' +
      'when the server sets it; see `acceptingComments` and `commentsCloseAt` in the article.',
  }),
}

export const ArticleCreateBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 120, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', examples: ['facial-acupuncture-six-points'] }),
    title: articleFields.title,
    summary: articleFields.summary,
    body: articleFields.body,
    attribution: articleFields.attribution,
    sourceUrl: Type.Optional(articleFields.sourceUrl),
    sourceId: Type.Optional(articleFields.sourceId),
    points: Type.Optional(articleFields.points),
    cautions: Type.Optional(articleFields.cautions),
    treatmentPlan: Type.Optional(articleFields.treatmentPlan),
    commentsOpen: Type.Optional(articleFields.commentsOpen),
  },
  { additionalProperties: false, description: 'Creates a draft; publish it with POST …/publish' },
)

export const ArticlePatchBody = Type.Object(
  {
    title: Type.Optional(articleFields.title),
    summary: Type.Optional(articleFields.summary),
    body: Type.Optional(articleFields.body),
    attribution: Type.Optional(articleFields.attribution),
    sourceUrl: Type.Optional(articleFields.sourceUrl),
    sourceId: Type.Optional(articleFields.sourceId),
    points: Type.Optional(articleFields.points),
    cautions: Type.Optional(articleFields.cautions),
    treatmentPlan: Type.Optional(articleFields.treatmentPlan),
    commentsOpen: Type.Optional(articleFields.commentsOpen),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const SlugParams = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 120, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', examples: ['facial-acupuncture-six-points'] }),
})
