// src/http/input-sanity.ts: the checks no schema states, run by the validator on every input.
import t, { type Test } from 'tap'
import { Type } from 'typebox'
import { buildTestApp } from '../helpers/build-test-app.js'

type Injected = Awaited<ReturnType<Awaited<ReturnType<typeof buildTestApp>>['app']['inject']>>

function expectProblem(t: Test, response: Injected, status: number, code: string) {
  t.equal(response.statusCode, status, `${status} ${code}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.json().code, code)
}

t.test('a NUL character in any declared input is a 400, never a database error', async (t) => {
  const { app } = await buildTestApp(t)
  expectProblem(t, await app.inject({ url: '/v1/acupoints?q=a%00b' }), 400, 'validation_failed')
  expectProblem(t, await app.inject({ url: '/v1/sources/%00' }), 400, 'validation_failed')
  const nulKey = await app.inject({
    method: 'POST', url: '/v1/articles/facial-acupuncture-six-points/comments',
    payload: { authorName: 'A', authorEmail: 'a@example.org', body: 'x', nested: { 'k\u0000': 1 } },
  })
  t.equal(nulKey.statusCode, 400, "a NUL in a key")
  const nulValue = await app.inject({
    method: 'POST', url: '/v1/articles/facial-acupuncture-six-points/comments',
    payload: { authorName: 'A', authorEmail: 'a@example.org', body: 'fine\u0000' },
  })
  expectProblem(t, nulValue, 400, 'validation_failed')
  t.equal(nulValue.json().errors[0].pointer, '/body')
})

t.test('numeric parameters must be finite (Ajv coerces 1e309 to Infinity and lets it through)', async (t) => {
  const { app } = await buildTestApp(t, {}, { seed: false })
  for (const limit of ['1e309', '-1e309', 'Infinity']) {
    const response = await app.inject({ url: `/v1/acupoints?limit=${limit}` })
    expectProblem(t, response, 400, 'validation_failed')
    t.equal(response.json().errors[0].pointer, '/limit')
  }
  t.equal((await app.inject({ url: '/v1/acupoints?q=1e309' })).statusCode, 200, 'a text parameter may still look like a number')
  t.equal((await app.inject({ url: '/v1/acupoints?limit=5' })).statusCode, 200)
})

t.test('in a JSON body, 1e309 (Infinity after JSON.parse) and a NUL in a key are refused', async (t) => {
  const { app } = await buildTestApp(t, {}, {
    seed: false,
    beforeReady: (app) => {
      app.post('/test/numbers', {
        schema: { body: Type.Object({ n: Type.Number({ maximum: 10 }), tags: Type.Optional(Type.Record(Type.String(), Type.String())) }) },
      }, async (request) => request.body)
    },
  })
  const post = (payload: string) => app.inject({ method: 'POST', url: '/test/numbers', headers: { 'content-type': 'application/json' }, payload })
  t.equal((await post('{"n":5}')).statusCode, 200)
  const infinite = await post('{"n":1e309}')
  expectProblem(t, infinite, 400, 'validation_failed')
  t.equal(infinite.json().errors[0].pointer, '/n')
  const nulKey = await post('{"n":1,"tags":{"a\\u0000b":"x"}}')
  expectProblem(t, nulKey, 400, 'validation_failed')
  t.same(nulKey.json().errors, [{ in: 'body', pointer: '/tags/a\u0000b', message: 'contains a NUL character' }])
})
