import { Prisma, type PrismaClient } from '../generated/prisma/client.js'

/**
 * True when a comment up the reply chain from `parentId` is not approved. A reply is public only
 * while everything it answers is: otherwise its `parentId` would reveal a hidden comment's id.
 */
export const hiddenAncestor = (parentId: Prisma.Sql) => Prisma.sql`EXISTS (
  WITH RECURSIVE ancestors AS (
    SELECT p.id, p.parent_id, p.status FROM comments p WHERE p.id = ${parentId}
    UNION ALL
    SELECT p.id, p.parent_id, p.status FROM comments p JOIN ancestors a ON p.id = a.parent_id
  )
  SELECT 1 FROM ancestors WHERE status <> 'approved')`

/**
 * Each article's count of comments the public can see: approved, with every comment above them
 * approved too. One statement for any number of articles.
 */
export async function countPublicComments(client: Pick<PrismaClient, '$queryRaw'>, articleIds: string[]): Promise<Map<string, number>> {
  if (articleIds.length === 0) return new Map()
  const rows = await client.$queryRaw<Array<{ articleId: string; count: number }>>`
    SELECT c.article_id::text AS "articleId", count(*)::int AS "count"
      FROM comments c
     WHERE c.article_id = ANY(${articleIds}::uuid[]) AND c.status = 'approved'
       AND (c.parent_id IS NULL OR NOT ${hiddenAncestor(Prisma.raw('c.parent_id'))})
     GROUP BY c.article_id`
  return new Map(rows.map((row) => [row.articleId, row.count]))
}
