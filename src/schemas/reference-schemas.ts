import { Type, type Static } from 'typebox'
import { listOf } from './common-schemas.js'
import {
  ACUPOINT_LIST_EXAMPLE, ARTICLE_SOURCE_EXAMPLE, ARTICLE_SUMMARY_EXAMPLE, YINTANG_CLAIM, YINTANG_DETAIL, YINTANG_SUMMARY,
} from './examples.js'

const CODE_EXAMPLE = 'LI20'
export const REGIONS = ['head', 'face', 'neck', 'chest', 'abdomen', 'back', 'lumbosacral', 'upper_limb', 'lower_limb', 'perineum'] as const
export const CLAIM_KINDS = ['cosmetic_effect', 'linked_organ', 'health_benefit', 'location_note'] as const
export const SOURCE_KINDS = ['standard', 'article', 'book'] as const

const enumOf = <T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

export const RegionSchema = enumOf(REGIONS, { $id: 'BodyRegion', title: 'BodyRegion', examples: ['face'] })
export const ClaimKindSchema = enumOf(CLAIM_KINDS, {
  $id: 'ClaimKind',
  title: 'ClaimKind',
  description: 'What a claim is about. Claims are what a source asserts, never established fact.',
})
export const SourceKindSchema = enumOf(SOURCE_KINDS, { $id: 'SourceKind', title: 'SourceKind' })

const AcupointCode = Type.String({
  minLength: 2,
  maxLength: 16,
  pattern: '^[A-Za-z]{1,4}(-[A-Za-z]{1,4})?-?[0-9]{1,3}$',
  description: 'WHO code, any case (LI20, li20, EX-HN3); alternate codes work too (GV29 for Yintang)',
  examples: [CODE_EXAMPLE],
})
export const AcupointCodeParams = Type.Object({ code: AcupointCode })
export const ChannelCodeParams = Type.Object({
  code: Type.String({ maxLength: 2, pattern: '^[A-Za-z]{2}$', description: 'WHO channel code, any case', examples: ['LI'] }),
})
export const UuidParams = Type.Object({ id: Type.String({ format: 'uuid', examples: ['5e3c1f0a-7b2d-4c6e-9a41-0d2f6b8c1b02'] }) })

export const SourceSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.Ref('SourceKind'),
    title: Type.String({ examples: ['All About Facial Acupuncture and its Benefits'] }),
    author: Type.Union([Type.String(), Type.Null()], { examples: ['Sole Toscana Beauty Team'] }),
    publisher: Type.Union([Type.String(), Type.Null()]),
    url: Type.Union([Type.String(), Type.Null()]),
    publishedOn: Type.Union([Type.String(), Type.Null()], { description: 'Year, year-month or date, as precise as known', examples: ['2008'] }),
    note: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Source', title: 'Source', description: 'A standard, article or book that facts or claims come from', examples: [ARTICLE_SOURCE_EXAMPLE] },
)

export const ChannelSummarySchema = Type.Object(
  {
    code: Type.String({ examples: ['LI'] }),
    name: Type.String({ examples: ['Large Intestine'] }),
  },
  { $id: 'ChannelSummary', title: 'ChannelSummary' },
)

export const ChannelSchema = Type.Object(
  {
    code: Type.String({ examples: ['LI'] }),
    name: Type.String({ examples: ['Large Intestine'] }),
    sequence: Type.Integer({ minimum: 1, maximum: 14, description: 'Position in the standard order', examples: [2] }),
    pointCount: Type.Integer({ minimum: 0, description: 'Points on the channel in the WHO standard', examples: [20] }),
  },
  { $id: 'Channel', title: 'Channel' },
)

const Hanzi = Type.Object({
  traditional: Type.String({ examples: ['迎香'] }),
  simplified: Type.String({ examples: ['迎香'] }),
})

export const AcupointSummarySchema = Type.Object(
  {
    code: Type.String({ examples: [CODE_EXAMPLE] }),
    alternateCodes: Type.Array(Type.String(), { examples: [[]] }),
    pinyin: Type.String({ examples: ['Yingxiang'] }),
    hanzi: Hanzi,
    englishName: Type.String({ examples: ['Welcome Fragrance'] }),
    channel: Type.Union([Type.Ref('ChannelSummary'), Type.Null()], { description: 'Null for extra points' }),
    region: Type.Union([Type.Ref('BodyRegion'), Type.Null()]),
    location: Type.Union([Type.String(), Type.Null()], {
      description: 'Standard location in our own words; null where not recorded',
      examples: ['In the nasolabial groove, level with the midpoint of the outer border of the nostril (ala of the nose).'],
    }),
    matchedClaims: Type.Optional(Type.Array(Type.Ref('Claim'), {
      description: 'Only in `GET /v1/acupoints` filtered by `organ` or `effect`: the claims that matched, each with its source',
    })),
  },
  { $id: 'AcupointSummary', title: 'AcupointSummary', examples: [YINTANG_SUMMARY] },
)

export const FactSchema = Type.Object(
  {
    basis: Type.Literal('standard', { description: 'Established by the cited standard' }),
    attribute: Type.Unsafe<'channel' | 'classification' | 'region' | 'location'>({
      type: 'string',
      enum: ['channel', 'classification', 'region', 'location'],
      description: '`classification` says a point is an extra point outside the channels',
    }),
    value: Type.String({ examples: ['LI'] }),
    statement: Type.String({ examples: ['LI20 is a point of the Large Intestine channel (LI).'] }),
    source: Type.Ref('Source'),
  },
  { $id: 'Fact', title: 'Fact', description: 'A fact from a standard reference' },
)

export const ClaimSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    basis: Type.Literal('claim', { description: 'Asserted by the source; not an established fact' }),
    acupointCode: Type.String({ examples: [CODE_EXAMPLE] }),
    kind: Type.Ref('ClaimKind'),
    text: Type.String({ examples: ['Said to correspond to the heart and so to support healthy blood flow.'] }),
    keyword: Type.Union([Type.String(), Type.Null()], { examples: ['heart'] }),
    source: Type.Ref('Source'),
  },
  { $id: 'Claim', title: 'Claim', description: 'What a source claims about a point, kept apart from facts', examples: [YINTANG_CLAIM] },
)

export const ArticleLinkSchema = Type.Object(
  { slug: Type.String({ examples: ['facial-acupuncture-six-points'] }), title: Type.String() },
  { $id: 'ArticleLink', title: 'ArticleLink' },
)

export const AcupointDetailSchema = Type.Object(
  {
    code: Type.String({ examples: [CODE_EXAMPLE] }),
    alternateCodes: Type.Array(Type.String()),
    number: Type.Union([Type.Integer(), Type.Null()], { description: 'Point number on its channel', examples: [20] }),
    pinyin: Type.String({ examples: ['Yingxiang'] }),
    hanzi: Hanzi,
    englishName: Type.String({ examples: ['Welcome Fragrance'] }),
    channel: Type.Union([Type.Ref('ChannelSummary'), Type.Null()]),
    region: Type.Union([Type.Ref('BodyRegion'), Type.Null()]),
    location: Type.Union([Type.String(), Type.Null()]),
    cautions: Type.Array(Type.String()),
    standardSource: Type.Ref('Source'),
    facts: Type.Array(Type.Ref('Fact')),
    claims: Type.Array(Type.Ref('Claim')),
    articles: Type.Array(Type.Ref('ArticleLink'), { description: 'Published articles that discuss this point' }),
  },
  {
    $id: 'AcupointDetail',
    title: 'AcupointDetail',
    description: 'A point with its standard facts and, separately, the claims sources make about it',
    examples: [YINTANG_DETAIL],
  },
)

export const ChannelDetailSchema = Type.Object(
  {
    code: Type.String({ examples: ['LI'] }),
    name: Type.String({ examples: ['Large Intestine'] }),
    sequence: Type.Integer(),
    pointCount: Type.Integer(),
    points: Type.Array(Type.Ref('AcupointSummary')),
  },
  { $id: 'ChannelDetail', title: 'ChannelDetail' },
)

export const CautionSchema = Type.Object(
  {
    kind: Type.Unsafe<'contraindication' | 'side_effect' | 'precaution'>({
      type: 'string',
      enum: ['contraindication', 'side_effect', 'precaution'],
    }),
    condition: Type.String({ minLength: 1, maxLength: 100, examples: ['bleeding-disorder'] }),
    text: Type.String({ minLength: 1, maxLength: 1000 }),
    typicalDurationDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'For side effects: how long it usually lasts' })),
  },
  { $id: 'Caution', title: 'Caution', additionalProperties: false },
)

export const TreatmentPlanSchema = Type.Object(
  {
    phases: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 50, examples: ['initial'] }),
          description: Type.Optional(Type.String({ maxLength: 500 })),
          sessionsPerMonth: Type.Object(
            { min: Type.Integer({ minimum: 0, maximum: 31 }), max: Type.Integer({ minimum: 0, maximum: 31 }) },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10 },
    ),
    notes: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 20 }),
  },
  {
    $id: 'TreatmentPlan',
    title: 'TreatmentPlan',
    additionalProperties: false,
    examples: [{
      phases: [
        { name: 'initial', description: 'Until the desired result is reached', sessionsPerMonth: { min: 8, max: 10 } },
        { name: 'maintenance', description: 'After the desired result is reached', sessionsPerMonth: { min: 1, max: 1 } },
      ],
      notes: ['The post recommends combining facial sessions with full-body acupuncture.'],
    }],
  },
)

export const ArticleStatusSchema = Type.Unsafe<'draft' | 'published'>({
  $id: 'ArticleStatus',
  title: 'ArticleStatus',
  type: 'string',
  enum: ['draft', 'published'],
})

export const ArticleSummarySchema = Type.Object(
  {
    slug: Type.String({ examples: ['facial-acupuncture-six-points'] }),
    title: Type.String({ examples: ['Facial acupuncture: six points and what is claimed for them'] }),
    summary: Type.String(),
    attribution: Type.String({ examples: ['Retold by the acupoint-api editors from a blog post by the Sole Toscana Beauty Team'] }),
    status: Type.Ref('ArticleStatus'),
    publishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    pointCodes: Type.Array(Type.String(), { examples: [['EX-HN3', 'GB14', 'ST2', 'ST4', 'SI18', 'LI20']] }),
    approvedCommentCount: Type.Integer({ minimum: 0, examples: [1] }),
  },
  { $id: 'ArticleSummary', title: 'ArticleSummary', examples: [ARTICLE_SUMMARY_EXAMPLE] },
)

export const ArticleDetailSchema = Type.Object(
  {
    slug: Type.String({ examples: ['facial-acupuncture-six-points'] }),
    title: Type.String(),
    summary: Type.String(),
    body: Type.String({ description: 'Markdown' }),
    attribution: Type.String(),
    sourceUrl: Type.Union([Type.String(), Type.Null()]),
    source: Type.Union([Type.Ref('Source'), Type.Null()]),
    status: Type.Ref('ArticleStatus'),
    publishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    points: Type.Array(Type.Ref('AcupointSummary'), { description: 'In the order the article discusses them' }),
    cautions: Type.Array(Type.Ref('Caution')),
    treatmentPlan: Type.Union([Type.Ref('TreatmentPlan'), Type.Null()]),
    approvedCommentCount: Type.Integer({ minimum: 0, description: 'Approved comments on this article', examples: [1] }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ArticleDetail', title: 'ArticleDetail' },
)

export const AcupointListSchema = listOf(Type.Ref('AcupointSummary'), 'AcupointList', 'A page of points in the standard order', [ACUPOINT_LIST_EXAMPLE])
export const ChannelListSchema = Type.Object({ items: Type.Array(Type.Ref('Channel')) }, { $id: 'ChannelList', title: 'ChannelList' })
export const ArticleListSchema = listOf(Type.Ref('ArticleSummary'), 'ArticleList', 'A page of published articles, newest first')
export const SourceListSchema = listOf(Type.Ref('Source'), 'SourceList', 'A page of sources')

export const AcupointListQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ maxLength: 2, pattern: '^[A-Za-z]{2}$', description: 'WHO channel code', examples: ['ST'] })),
    region: Type.Optional(enumOf(REGIONS, { description: 'Body region' })),
    organ: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Claimed linked organ (any source)', examples: ['heart'] })),
    effect: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Claimed cosmetic-effect keyword', examples: ['wrinkles'] })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search over codes, names, locations and claims', examples: ['eyebrow'] })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
)
export type AcupointListQuery = Static<typeof AcupointListQuery>

export type Source = Static<typeof SourceSchema>
