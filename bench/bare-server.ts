import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'

// The ceiling: a bare Fastify route in the same kind of child process as the real server,
// answering the same JSON (read once from a file) from memory. No logging, no database.
const payloadFile = process.argv[2]
if (!payloadFile) throw new Error('usage: bare-server.ts <payload.json>')
const payload: unknown = JSON.parse(await readFile(payloadFile, 'utf8'))

const app = Fastify({ logger: false })
app.get('/payload', async () => payload)
const address = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`ready ${address}\n`)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
