import type { PrismaClient } from '../generated/prisma/client.js'

/**
 * Each article's count of comments the public can see: approved, with every comment above them
 * approved too (`is_public`, kept at write time by the comments triggers), and not withdrawn by
 * their authors (a withdrawn one may still be listed, empty, to hold its replies). One statement for any
 * number of articles.
 */
export async function countPublicComments(client: Pick<PrismaClient, '$queryRaw'>, articleIds: string[]): Promise<Map<string, number>> {
  if (articleIds.length === 0) return new Map()
  const rows = await client.$queryRaw<Array<{ articleId: string; count: number }>>`
    SELECT c.article_id::text AS "articleId", count(*)::int AS "count"
      FROM comments c
     WHERE c.article_id = ANY(${articleIds}::uuid[]) AND c.is_public AND c.withdrawn_at IS NULL
     GROUP BY c.article_id`
  return new Map(rows.map((row) => [row.articleId, row.count]))
}
