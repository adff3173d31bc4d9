import type { TestDatabase } from './test-database.js'

interface EventRow {
  comment_id: string
  from_status: string | null
  to_status: string
  created_at: Date
}

/**
 * What must hold in stored data whatever requests came in (or failed half-way): no orphan rows,
 * every comment has its submission in its history, and its status is where its history leads.
 * Returns a list of violations (empty when consistent).
 */
export async function checkDataConsistency(db: TestDatabase): Promise<string[]> {
  const problems: string[] = []
  const orphans: Array<[string, string]> = [
    ['moderation events without a comment', 'SELECT e.id FROM moderation_events e LEFT JOIN comments c ON c.id = e.comment_id WHERE c.id IS NULL'],
    ['comments without an article', 'SELECT c.id FROM comments c LEFT JOIN articles a ON a.id = c.article_id WHERE a.id IS NULL'],
    ['replies without a parent', 'SELECT c.id FROM comments c LEFT JOIN comments p ON p.id = c.parent_id WHERE c.parent_id IS NOT NULL AND p.id IS NULL'],
    ['claims without a point or source', 'SELECT c.id FROM claims c LEFT JOIN acupoints a ON a.id = c.acupoint_id LEFT JOIN sources s ON s.id = c.source_id WHERE a.id IS NULL OR s.id IS NULL'],
    ['comments whose flag count is not their undismissed flags',
      'SELECT c.id FROM comments c WHERE c.flag_count <> (SELECT count(*) FROM comment_flags f WHERE f.comment_id = c.id AND f.dismissed_at IS NULL)'],
    ['withdrawn comments that keep text or personal data',
      "SELECT c.id FROM comments c WHERE c.withdrawn_at IS NOT NULL AND (c.body <> '' OR c.author_name <> '' OR c.author_email IS NOT NULL OR c.ip_address IS NOT NULL OR c.client_key IS NOT NULL OR c.user_agent IS NOT NULL)"],
    ['article points without an article or point', 'SELECT ap.article_id AS id FROM article_points ap LEFT JOIN articles a ON a.id = ap.article_id LEFT JOIN acupoints p ON p.id = ap.acupoint_id WHERE a.id IS NULL OR p.id IS NULL'],
  ]
  orphans.push(
    ['webhook deliveries without a subscription', 'SELECT d.id FROM webhook_deliveries d LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE s.id IS NULL'],
    // A payload goes to a third party: never a commenter's e-mail address, IP address or user agent.
    ['webhook payloads with personal data', `SELECT d.id FROM webhook_deliveries d WHERE d.payload::text ~* '"(authorEmail|email|ipAddress|userAgent|clientKey)"'
       OR EXISTS (SELECT 1 FROM comments c WHERE strpos(d.payload::text, c.author_email) > 0 OR strpos(d.payload::text, c.ip_address) > 0)`],
  )
  for (const [what, sql] of orphans) {
    const { rows } = await db.query<{ id: string }>(sql)
    if (rows.length > 0) problems.push(`${rows.length} ${what}: ${rows.slice(0, 3).map((row) => row.id).join(', ')}`)
  }

  const comments = await db.query<{ id: string; status: string }>('SELECT id, status FROM comments')
  const events = await db.query<EventRow>('SELECT comment_id, from_status, to_status, created_at FROM moderation_events ORDER BY created_at, id')
  const byComment = new Map<string, EventRow[]>()
  for (const event of events.rows) {
    const list = byComment.get(event.comment_id) ?? []
    list.push(event)
    byComment.set(event.comment_id, list)
  }
  for (const comment of comments.rows) {
    const history = byComment.get(comment.id) ?? []
    const submissions = history.filter((event) => event.from_status === null)
    if (submissions.length !== 1) {
      problems.push(`comment ${comment.id} has ${submissions.length} submission entries in its history`)
      continue
    }
    // Walk the history from the submission, each decision starting where the previous one ended.
    let current = submissions[0]!
    const unused = new Set(history.filter((event) => event !== current))
    while (unused.size > 0) {
      const next = [...unused].find((event) => event.from_status === current.to_status && event.created_at >= current.created_at)
      if (!next) break
      unused.delete(next)
      current = next
    }
    if (unused.size > 0) problems.push(`comment ${comment.id}: ${unused.size} history entries do not follow from the previous status`)
    if (current.to_status !== comment.status) {
      problems.push(`comment ${comment.id} is ${comment.status} but its history ends at ${current.to_status}`)
    }
  }
  return problems
}
