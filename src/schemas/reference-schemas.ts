import { Type, type Static } from 'typebox'
import { CACHE_HEADERS, TOTAL_PROPERTY, listOf } from './common-schemas.js'
import {
  ACUPOINT_LIST_EXAMPLE, ARTICLE_SOURCE_EXAMPLE, ARTICLE_SUMMARY_EXAMPLE, LI20_DETAIL, LI_CHANNEL_EXAMPLE, SOURCE_MAP_EXAMPLE, YINTANG_CLAIM,
  YINTANG_POINT_CLAIM, YINTANG_SUMMARY,
} from './examples.js'

const CODE_EXAMPLE = 'LI20'
export const REGIONS = ['head', 'face', 'neck', 'chest', 'abdomen', 'back', 'lumbosacral', 'upper_limb', 'lower_limb', 'perineum'] as const
export const CLAIM_KINDS = ['cosmetic_effect', 'linked_organ', 'health_benefit', 'location_note'] as const
export const SOURCE_KINDS = ['standard', 'article', 'book'] as const
/** The organs (zang-fu) the twelve regular channels are associated with, as keywords. */
export const ORGANS = [
  'lung', 'large-intestine', 'stomach', 'spleen', 'heart', 'small-intestine', 'bladder', 'kidney', 'pericardium', 'triple-energizer',
  'gallbladder', 'liver',
] as const

const enumOf = <T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

export const RegionSchema = enumOf(REGIONS, { $id: 'BodyRegion', title: 'BodyRegion', examples: ['face'] })
export const ClaimKindSchema = enumOf(CLAIM_KINDS, {
  $id: 'ClaimKind',
  title: 'ClaimKind',
  description: 'What a claim is about. Claims are what a source asserts, never established fact.',
})
export const SourceKindSchema = enumOf(SOURCE_KINDS, { $id: 'SourceKind', title: 'SourceKind' })
export const OrganSchema = enumOf(ORGANS, {
  $id: 'Organ',
  title: 'Organ',
  description: 'An organ (zang-fu) that a regular channel is associated with, by the standard',
  examples: ['large-intestine'],
})

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

export const SourceMapSchema = Type.Object({}, {
  $id: 'SourceMap',
  title: 'SourceMap',
  additionalProperties: Type.Ref('Source'),
  description: 'Every source the document cites, once, keyed by its id: facts and claims name theirs by `sourceId`',
  examples: [SOURCE_MAP_EXAMPLE],
})
const SourceId = Type.String({ format: 'uuid', description: 'The key of this item\'s source in the document\'s `sources`' })

const ChannelOrgan = Type.Union([Type.Ref('Organ'), Type.Null()], {
  description: 'The organ (zang-fu) the channel is associated with, a standard fact. Null for the Governor and Conception vessels.',
})

export const ChannelSummarySchema = Type.Object(
  {
    code: Type.String({ examples: ['LI'] }),
    name: Type.String({ examples: ['Large Intestine'] }),
    organ: ChannelOrgan,
  },
  { $id: 'ChannelSummary', title: 'ChannelSummary' },
)

const Hanzi = Type.Object({
  traditional: Type.String({ examples: ['迎香'] }),
  simplified: Type.String({ examples: ['迎香'] }),
})

export const ChannelFactSchema = Type.Object(
  {
    basis: Type.Literal('standard', { description: 'Established by the cited standard' }),
    attribute: Type.Unsafe<'organ' | 'english_name' | 'pinyin' | 'hanzi'>({ type: 'string', enum: ['organ', 'english_name', 'pinyin', 'hanzi'] }),
    value: Type.String({ description: '`organ`: an Organ keyword, or `none` for the Governor and Conception vessels', examples: ['large-intestine'] }),
    statement: Type.String({ examples: ['The Large Intestine channel (LI) is associated with the large intestine (zang-fu).'] }),
    sourceId: SourceId,
  },
  { $id: 'ChannelFact', title: 'ChannelFact', description: 'A fact about a channel from a standard reference' },
)

const channelFields = {
  code: Type.String({ examples: ['LI'] }),
  name: Type.String({ description: 'English name', examples: ['Large Intestine'] }),
  sequence: Type.Integer({ minimum: 1, maximum: 14, description: 'Position in the standard order', examples: [2] }),
  pointCount: Type.Integer({ minimum: 0, description: 'Points on the channel in the WHO standard', examples: [20] }),
  organ: ChannelOrgan,
  pinyin: Type.Union([Type.String(), Type.Null()], { description: 'Standard Chinese name in pinyin', examples: ['Shouyangming Dachangjing'] }),
  hanzi: Type.Union([Hanzi, Type.Null()], { description: 'Standard Chinese name in characters' }),
  facts: Type.Array(Type.Ref('ChannelFact'), { description: 'The organ and the names, as standard facts with their source' }),
}

export const ChannelSchema = Type.Object(channelFields, { $id: 'Channel', title: 'Channel', examples: [LI_CHANNEL_EXAMPLE] })

const LocationNote = Type.Union([Type.String(), Type.Null()], {
  description: 'The editors\' note where the standard location is uncertain or disputed (a variant in another standard, a landmark that is hard to find); null when there is nothing to add',
  examples: [null],
})

const summaryFields = {
  code: Type.String({ examples: [CODE_EXAMPLE] }),
  alternateCodes: Type.Array(Type.String(), { examples: [[]] }),
  pinyin: Type.String({ examples: ['Yingxiang'] }),
  hanzi: Hanzi,
  englishName: Type.String({ examples: ['Welcome Fragrance'] }),
  channel: Type.Union([Type.Ref('ChannelSummary'), Type.Null()], { description: 'Null for extra points' }),
  region: Type.Union([Type.Ref('BodyRegion'), Type.Null()]),
  location: Type.Union([Type.String(), Type.Null()], {
    description: 'Standard location in our own words: anatomical landmarks and proportional B-cun measures; null where not recorded',
    examples: ['In the nasolabial groove, level with the midpoint of the outer border of the nostril (ala of the nose).'],
  }),
  locationNote: LocationNote,
}

export const AcupointSummarySchema = Type.Object(
  {
    ...summaryFields,
    matchedClaims: Type.Optional(Type.Array(Type.Ref('PointClaim'), {
      description: 'Only in `GET /v1/acupoints` filtered by `organ` or `effect`: the claims that matched (their sources are in the list\'s `sources`)',
    })),
  },
  { $id: 'AcupointSummary', title: 'AcupointSummary', examples: [YINTANG_SUMMARY] },
)

export const FactSchema = Type.Object(
  {
    basis: Type.Literal('standard', { description: 'Established by the cited standard' }),
    attribute: Type.Unsafe<'channel' | 'channel_organ' | 'classification' | 'region' | 'location'>({
      type: 'string',
      enum: ['channel', 'channel_organ', 'classification', 'region', 'location'],
      description: '`channel_organ` is the organ (zang-fu) of the point\'s channel, by the standard: set it against any `linked_organ` claim. ' +
        '`classification` says a point is an extra point outside the channels.',
    }),
    value: Type.String({ description: '`channel_organ`: an Organ keyword, or `none` for the Governor and Conception vessels', examples: ['LI'] }),
    statement: Type.String({ examples: ['LI20 is a point of the Large Intestine channel (LI).'] }),
    sourceId: SourceId,
  },
  { $id: 'Fact', title: 'Fact', description: 'A fact from a standard reference; its source is in the document\'s `sources`' },
)

export const PointClaimSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    basis: Type.Literal('claim', { description: 'Asserted by the source; not an established fact' }),
    kind: Type.Ref('ClaimKind'),
    text: Type.String({ examples: ['Said to correspond to the heart and so to support healthy blood flow.'] }),
    keyword: Type.Union([Type.String(), Type.Null()], { examples: ['heart'] }),
    sourceId: SourceId,
  },
  {
    $id: 'PointClaim',
    title: 'PointClaim',
    description: 'A claim as it appears under its point, inside a document: its source is in the document\'s `sources`',
    examples: [YINTANG_POINT_CLAIM],
  },
)

export const FigureLinkSchema = Type.Object(
  {
    href: Type.String({ description: 'The SVG figure', examples: ['/v1/acupoints/LI20/figure.svg'] }),
    views: Type.Array(Type.Unsafe<'front' | 'lateral'>({ type: 'string', enum: ['front', 'lateral'] }), {
      description: 'The views the figure draws: a front view of the face, a lateral view of the head',
      examples: [['front']],
    }),
  },
  { $id: 'FigureLink', title: 'FigureLink' },
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
    locationNote: LocationNote,
    cautions: Type.Array(Type.String()),
    standardSourceId: Type.String({ format: 'uuid', description: 'Where the code, names, channel and location come from (in `sources`)' }),
    facts: Type.Array(Type.Ref('Fact')),
    claims: Type.Array(Type.Ref('PointClaim')),
    articles: Type.Array(Type.Ref('ArticleLink'), { description: 'Published articles that discuss this point' }),
    figure: Type.Union([Type.Ref('FigureLink'), Type.Null()], { description: 'A figure of the head or face with the point drawn on it; null for points elsewhere' }),
    sources: Type.Ref('SourceMap'),
  },
  {
    $id: 'AcupointDetail',
    title: 'AcupointDetail',
    description:
      'A point with its standard facts and, separately, the claims sources make about it. Each source appears once, in `sources`. ' +
      'The `channel_organ` fact and any `linked_organ` claim sit side by side: the standard\'s organ against a source\'s.',
    examples: [LI20_DETAIL],
  },
)

export const ChannelDetailSchema = Type.Object(
  {
    ...channelFields,
    points: Type.Array(Type.Ref('AcupointSummary')),
    sources: Type.Ref('SourceMap'),
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
    sourceId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The source the article retells (in `sources`)' }),
    status: Type.Ref('ArticleStatus'),
    publishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    points: Type.Array(Type.Ref('ArticlePoint'), { description: 'In the order the article discusses them, each with its claims' }),
    cautions: Type.Array(Type.Ref('Caution')),
    treatmentPlan: Type.Union([Type.Ref('TreatmentPlan'), Type.Null()]),
    approvedCommentCount: Type.Integer({ minimum: 0, description: 'Approved comments on this article', examples: [1] }),
    commentsOpen: Type.Boolean({
      description: 'The editors\' switch for the comment thread (set it with PATCH). The thread can still be closed when this is true: see `acceptingComments`.',
      examples: [true],
    }),
    acceptingComments: Type.Boolean({
      description:
        'Whether POST /v1/articles/{slug}/comments takes a comment now: the article is published, `commentsOpen` is true and ' +
        '`commentsCloseAt` has not passed. When false, submissions get 403 `comments_closed`; the approved comments are still listed. ' +
        'A cached representation may lag the automatic close by up to REFERENCE_CACHE_SECONDS.',
      examples: [true],
    }),
    commentsCloseAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'When the thread closes (or closed) on its own: COMMENTS_CLOSE_AFTER_DAYS after `publishedAt`. Null when it never closes ' +
        'on its own (the setting is off, or the article has never been published).',
    }),
    figure: Type.Union([Type.Ref('FigureLink'), Type.Null()], { description: 'A front view of a face with the article\'s points; null when none of them is on the face' }),
    updatedAt: Type.String({ format: 'date-time' }),
    sources: Type.Ref('SourceMap'),
  },
  { $id: 'ArticleDetail', title: 'ArticleDetail', description: 'An article, its points with every claim about them, and each cited source once' },
)

export const ArticlePointSchema = Type.Object(
  {
    ...summaryFields,
    claims: Type.Array(Type.Ref('PointClaim'), { description: 'Every claim sources make about the point (sources in the article\'s `sources`)' }),
  },
  { $id: 'ArticlePoint', title: 'ArticlePoint', description: 'A point as an article lists it: the summary and the claims about it' },
)

export const AcupointListSchema = listOf(Type.Ref('AcupointSummary'), 'AcupointList', 'A page of points: in the standard order, or by relevance with `q`', [ACUPOINT_LIST_EXAMPLE], {
  ...TOTAL_PROPERTY,
  sources: Type.Ref('SourceMap'),
})
export const ChannelListSchema = Type.Object(
  { items: Type.Array(Type.Ref('Channel')), ...TOTAL_PROPERTY, sources: Type.Ref('SourceMap') },
  { $id: 'ChannelList', title: 'ChannelList' },
)
export const ArticleListSchema = listOf(Type.Ref('ArticleSummary'), 'ArticleList', 'A page of published articles, newest first', undefined, TOTAL_PROPERTY)
export const SourceListSchema = listOf(Type.Ref('Source'), 'SourceList', 'A page of sources', undefined, TOTAL_PROPERTY)

export const AcupointListQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ maxLength: 2, pattern: '^[A-Za-z]{2}$', description: 'WHO channel code', examples: ['ST'] })),
    channelOrgan: Type.Optional(enumOf(ORGANS, {
      description:
        'A standard fact: points whose channel the standard associates with this organ (`heart`: the 9 points of the Heart channel). ' +
        'Compare `organ`, which filters on what sources claim.',
      examples: ['large-intestine'],
    })),
    region: Type.Optional(enumOf(REGIONS, { description: 'Body region' })),
    organ: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 50,
      description:
        'A claim, not a fact: points that some source claims are linked to this organ (`heart` finds LI20, which a beauty blog links to ' +
        'the heart, although LI20 is on the Large Intestine channel). Each point comes with the matching claims. For the standard\'s ' +
        'channel organ use `channelOrgan`.',
      examples: ['heart'],
    })),
    effect: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Claimed cosmetic-effect keyword', examples: ['wrinkles'] })),
    q: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'Search, accents and case ignored: codes in any spelling (`li-20`, `LI 20`, alternate codes such as `GV29`), pinyin with or ' +
        'without tone marks (`Yíngxiāng`, `yingxiang`), Chinese characters (traditional or simplified), English point and channel names ' +
        '(`Large Intestine` lists that channel\'s points), words in locations and claims, and near misses of pinyin. Results are ranked: ' +
        'exact code, exact name, channel, name prefix, name part, words, near misses; ties in the standard order.',
      examples: ['Yíngxiāng'],
    })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
)
export type AcupointListQuery = Static<typeof AcupointListQuery>

export type Source = Static<typeof SourceSchema>

/** Figures are images: no script, style or fetch may run in them, even opened on their own. */
export const FIGURE_CSP = "default-src 'none'"

/** A figure response: an SVG document, cacheable, embeddable from any origin with <img>. */
export const SvgFigureResponse = {
  description: 'The figure, an SVG document: <title>, <desc> (every point and its location, for screen readers) and a text label per point',
  headers: {
    ...CACHE_HEADERS,
    'Content-Security-Policy': Type.String({ 'x-required': true, description: 'No scripts, styles or requests', examples: [FIGURE_CSP] }),
    'Cross-Origin-Resource-Policy': Type.String({ description: 'Any site may show the figure in an <img>', examples: ['cross-origin'] }),
  },
  content: { 'image/svg+xml': { schema: Type.String({ description: 'SVG 1.1 document (UTF-8)', examples: ['<svg xmlns="http://www.w3.org/2000/svg" …>…</svg>'] }) } },
}
