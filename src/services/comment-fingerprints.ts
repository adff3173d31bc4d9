import { commentFingerprint } from './comment-policy.js'

/** What the back-fill needs of a database connection: `pg`'s query. */
export interface SqlClient {
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>
}

// What fingerprints written before the current rule look like (a bare SHA-256). Erased comments
// have one too (sha256 of "erased:<id>"), but no e-mail address left, so they are not touched.
const OLD_FINGERPRINT = '^[0-9a-f]{64}$'

/**
 * Re-fingerprints comments stored under an older duplicate rule, so that a new submission is
 * compared with every stored comment by the same rule. Run after migrations (database-runtime.ts),
 * because SQL cannot compute the rule (NFKC, case folding). Idempotent and cheap once done (it
 * finds nothing). Two old comments that the new rule calls the same both stay: the later one's
 * fingerprint gets its id appended, so the unique index still holds and neither is lost.
 * Returns how many comments it re-fingerprinted.
 */
export async function refingerprintComments(client: SqlClient, batchSize = 500): Promise<number> {
  let done = 0
  for (;;) {
    const { rows } = await client.query<{ id: string; articleId: string; authorEmail: string; authorName: string; body: string }>(
      `SELECT id::text AS id, article_id::text AS "articleId", author_email AS "authorEmail", author_name AS "authorName", body
         FROM comments
        WHERE fingerprint ~ $1 AND author_email IS NOT NULL
        ORDER BY created_at, id
        LIMIT $2`, [OLD_FINGERPRINT, batchSize])
    if (rows.length === 0) return done
    for (const row of rows) {
      const fingerprint = commentFingerprint(row.articleId, row.authorEmail, row.authorName, row.body)
      // Not a version bump: the comment itself is unchanged, only how repeats of it are found.
      await client.query(
        `UPDATE comments SET fingerprint = CASE WHEN EXISTS (SELECT 1 FROM comments WHERE fingerprint = $1) THEN $1 || ':' || id::text ELSE $1 END
          WHERE id = $2::uuid`, [fingerprint, row.id])
      done++
    }
  }
}
