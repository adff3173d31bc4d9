import { randomBytes } from 'node:crypto'
import { link, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Who may open an embedded data directory: one process at a time. The lock is a numbered file,
 * `acupoint-api.lock.<generation>.json`, holding the owner's pid and, once it listens, the URL of
 * its database socket. The highest generation is the lock.
 *
 * - Taking it is one atomic step: link(2) of a fully written file to the next generation's name,
 *   which fails if that name exists. Of any number of processes starting at once, exactly one
 *   gets each generation.
 * - A stale lock (its owner is gone, or released it) is recovered the same way: by taking the
 *   next generation. Nothing is ever deleted in order to take a lock, so two processes can never
 *   both believe they removed the same stale lock; a winner only tidies generations below its own.
 * - Releasing rewrites the owner's own file as released (rename(2) over it: readers see the old
 *   or the new content, never half of one). The file stays, so generations only grow.
 * A pid reused by another process after a crash makes the lock look held: the same trade-off as
 * PostgreSQL's postmaster.pid. The error message names the file to remove.
 */
export interface LockHolder {
  pid: number
  url: string | null
  released?: boolean
}

export interface DataDirLock {
  file: string
  /** Records where the database listens, for commands that share a running server's database. */
  setUrl(url: string): Promise<void>
  release(): Promise<void>
}

export type LockAttempt = { acquired: true; lock: DataDirLock } | { acquired: false; holder: LockHolder; file: string }

const NAME = /^acupoint-api\.lock\.(\d+)\.json$/
const fileOf = (dir: string, generation: number) => path.join(dir, `acupoint-api.lock.${generation}.json`)

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function generations(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)))
  return names.flatMap((name) => {
    const match = NAME.exec(name)
    return match ? [Number(match[1])] : []
  }).sort((a, b) => b - a)
}

async function readHolder(file: string): Promise<LockHolder | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder
  } catch (error) {
    // Gone: a newer owner tidied it away between our listing and our read.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Writes `content` to `target` atomically: a temporary file, then `place` (link: only if absent; rename: replace). */
async function writeWhole(target: string, content: LockHolder, place: 'link' | 'rename'): Promise<void> {
  const temporary = path.join(path.dirname(target), `.acupoint-api.lock.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  await writeFile(temporary, JSON.stringify(content))
  try {
    if (place === 'link') await link(temporary, target)
    else await rename(temporary, target)
  } finally {
    await rm(temporary, { force: true })
  }
}

export async function acquireDataDirLock(dir: string, isAlive: (pid: number) => boolean = isProcessAlive): Promise<LockAttempt> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [top] = await generations(dir)
    if (top !== undefined) {
      const holder = await readHolder(fileOf(dir, top))
      if (holder === null) continue
      if (!holder.released && isAlive(holder.pid)) return { acquired: false, holder, file: fileOf(dir, top) }
    }
    const generation = (top ?? 0) + 1
    const file = fileOf(dir, generation)
    try {
      await writeWhole(file, { pid: process.pid, url: null }, 'link')
    } catch (error) {
      // Another process took this generation first: look again at who holds the lock now.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    for (const older of await generations(dir)) if (older < generation) await rm(fileOf(dir, older), { force: true })
    let url: string | null = null
    return {
      acquired: true,
      lock: {
        file,
        async setUrl(next) {
          url = next
          await writeWhole(file, { pid: process.pid, url }, 'rename')
        },
        async release() {
          await writeWhole(file, { pid: process.pid, url, released: true }, 'rename')
        },
      },
    }
  }
  throw new Error(`Could not take the lock on ${dir}: it kept changing hands.`)
}
