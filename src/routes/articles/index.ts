import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { PRIVATE_NO_STORE, PUBLIC_CACHE, sendRepresentation } from '../../http/conditional-requests.js'
import {
  CACHE_HEADERS, ETAG_HEADER, IfMatchHeaders, IfMatchRequiredHeaders, IfNoneMatchHeaders, LINK_HEADER, NoContent, NotModified, PaginationQuery, withHeaders, LOCATION_HEADER,
} from '../../schemas/common-schemas.js'
import { ArticleCreateBody, ArticlePatchBody, SlugParams } from '../../schemas/editor-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { SvgFigureResponse } from '../../schemas/reference-schemas.js'
import { EDITOR_ROLES, STAFF_SECURITY, articleEtag, articleIfMatch, optionalArticleIfMatch, sendFigure, sendPage, withEtag } from '../route-helpers.js'

const canSeeDrafts = (request: FastifyRequest) => request.staff?.role === 'editor' || request.staff?.role === 'admin'

const articleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/articles', {
    schema: {
      tags: ['articles'],
      operationId: 'listArticles',
      summary: 'Published articles, newest first',
      description: 'Drafts are never listed. Each entry names the article\'s points in order and counts its approved comments. Keyset pagination: follow `nextCursor` or the `Link` header.',
      querystring: Type.Object(PaginationQuery, { additionalProperties: false }),
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('ArticleList'), { ...CACHE_HEADERS, ...LINK_HEADER }, 'A page of articles'),
        304: NotModified,
        ...problemResponses(400, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    return sendPage(request, reply, await app.articles.list(request.query.limit, request.query.cursor))
  })

  app.get('/articles/:slug', {
    onRequest: app.identifyStaff,
    schema: {
      tags: ['articles'],
      operationId: 'getArticle',
      summary: 'One article with its points, their claims, cautions and treatment plan',
      description:
        'Each point comes with every claim sources make about it, so the article renders from this one response; each ' +
        'source appears once, in `sources`. Drafts are 404 to the public. With an editor or admin token, drafts are returned too (and the response ' +
        'is marked private). A token that is sent must be valid (401 otherwise).',
      security: [{}, { bearerAuth: [] }],
      params: SlugParams,
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('ArticleDetail'), CACHE_HEADERS, 'The article'),
        304: NotModified,
        ...problemResponses(400, 401, 404, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const drafts = canSeeDrafts(request)
    const article = await app.articles.detail(request.params.slug, drafts)
    return sendRepresentation(request, reply, article, drafts ? PRIVATE_NO_STORE : PUBLIC_CACHE, articleEtag(article))
  })

  app.get('/articles/:slug/figure.svg', {
    schema: {
      tags: ['articles'],
      operationId: 'getArticleFigure',
      summary: 'A face with the article\'s points (SVG)',
      description:
        'A schematic front view of a face with the published article\'s points, bilateral points on both sides, each labelled ' +
        'with its code and pinyin. 404 `no_figure` when none of its points is on the face.',
      params: SlugParams,
      headers: IfNoneMatchHeaders,
      response: { 200: SvgFigureResponse, 304: NotModified, ...problemResponses(400, 404, ...ALWAYS) },
    },
  }, async (request, reply) => sendFigure(request, reply, await app.figures.article(request.params.slug)))

  app.post('/articles', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['articles'],
      operationId: 'createArticle',
      summary: 'Write a draft article',
      description: 'Roles: editor, admin. The article starts as a draft; publish it with `POST /v1/articles/{slug}/publish`.',
      security: STAFF_SECURITY,
      body: ArticleCreateBody,
      response: {
        201: withHeaders(Type.Ref('ArticleDetail'), { ...ETAG_HEADER, ...LOCATION_HEADER }, 'Created'),
        ...problemResponses(400, ...STAFF_ONLY, 409, 413, 415, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const article = await app.articles.create(request.body)
    reply.header('location', `/v1/articles/${article.slug}`)
    return withEtag(reply, article, 201, articleEtag(article))
  })

  app.patch('/articles/:slug', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['articles'],
      operationId: 'updateArticle',
      summary: 'Change an article',
      description:
        'Roles: editor, admin. Needs `If-Match`: 428 without it, 412 if stale. `points` replaces the list. ' +
        '`commentsOpen: false` closes the comment thread (new comments get 403 `comments_closed`; approved ones stay readable), `true` reopens it. ' +
        'An article\'s ETag ends with its approved-comment count; If-Match is compared without it, so comments approved ' +
        'since you read the article do not make your edit stale.',
      security: STAFF_SECURITY,
      params: SlugParams,
      headers: IfMatchRequiredHeaders,
      body: ArticlePatchBody,
      response: {
        200: withHeaders(Type.Ref('ArticleDetail'), ETAG_HEADER, 'Updated'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, 428, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const article = await app.articles.update(request.params.slug, request.body, articleIfMatch(request))
    return withEtag(reply, article, 200, articleEtag(article))
  })

  for (const [action, status] of [['publish', 'published'], ['unpublish', 'draft']] as const) {
    app.post(`/articles/:slug/${action}`, {
      onRequest: app.requireRole(...EDITOR_ROLES),
      schema: {
        tags: ['articles'],
        operationId: `${action}Article`,
        summary: action === 'publish' ? 'Publish an article' : 'Take an article back to draft',
        description: `Roles: editor, admin. Idempotent: an article that is already ${status} is returned as it is. \`If-Match\` is checked when sent.`,
        security: STAFF_SECURITY,
        params: SlugParams,
        headers: IfMatchHeaders,
        response: {
          200: withHeaders(Type.Ref('ArticleDetail'), ETAG_HEADER, 'The article'),
          ...problemResponses(400, ...STAFF_ONLY, 404, 412, ...ALWAYS),
        },
      },
    }, async (request, reply) => {
      const article = await app.articles.setStatus(request.params.slug, status, optionalArticleIfMatch(request))
      return withEtag(reply, article, 200, articleEtag(article))
    })
  }

  app.delete('/articles/:slug', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['articles'],
      operationId: 'deleteArticle',
      summary: 'Delete an article',
      description: 'Roles: editor, admin. `If-Match` is checked when sent.',
      security: STAFF_SECURITY,
      params: SlugParams,
      headers: IfMatchHeaders,
      response: { 204: NoContent, ...problemResponses(400, ...STAFF_ONLY, 404, 409, 412, ...ALWAYS) },
    },
  }, async (request, reply) => {
    await app.articles.remove(request.params.slug, optionalArticleIfMatch(request))
    return reply.code(204).send(null)
  })
}

export default articleRoutes
