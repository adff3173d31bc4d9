// Stoplight Prism's validating proxy (`prism proxy --errors`): an independent check of the traffic
// between a client and the server against openapi.yaml. Every request and response that passes
// through it is validated; with --errors a violation replaces the response with a 500 problem that
// names it, and it is logged.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { Test } from 'tap'
import { OPENAPI_FILE } from './openapi-contract.js'

const prismCli = createRequire(import.meta.url).resolve('@stoplight/prism-cli/dist/index.js')

export interface PrismProxy {
  /** Where clients send requests: Prism forwards them to the server. */
  url: string
  /** Log lines in which Prism reported a violation. */
  violations: string[]
}

export async function startPrismProxy(t: Test, upstream: string): Promise<PrismProxy> {
  const port = 40_000 + Math.floor(Math.random() * 20_000)
  const child = spawn(process.execPath, [prismCli, 'proxy', OPENAPI_FILE, upstream, '--errors', '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SCARF_ANALYTICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  const violations: string[] = []
  let output = ''
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      for (const line of chunk.toString().split('\n')) {
        if (/violation|\[VALIDATOR\]|✖|error/i.test(line) && !/Prism is listening/.test(line)) violations.push(line.trim())
      }
      if (output.includes('Prism is listening')) resolve()
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`prism exited with ${code} before listening:\n${output}`)))
  })
  t.teardown(() => {
    child.kill('SIGTERM')
  })
  await Promise.race([listening, new Promise((_, reject) => setTimeout(() => reject(new Error(`prism did not start in 120 s:\n${output}`)), 120_000))])
  return { url: `http://127.0.0.1:${port}`, violations }
}
