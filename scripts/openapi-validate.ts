import path from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'

// Validates openapi.yaml against the official OpenAPI 3.1 JSON Schema with an independent
// validator (not the library that generated it). Exits 1 with the errors when it is invalid.
const file = path.resolve(process.argv[2] ?? 'openapi.yaml')
const validator = new Validator()
const result = await validator.validate(file)
if (validator.version !== '3.1') {
  process.stderr.write(`${file}: expected an OpenAPI 3.1 document, found version ${validator.version}\n`)
  process.exit(1)
}
if (!result.valid) {
  process.stderr.write(`${file} is not a valid OpenAPI 3.1 document:\n${JSON.stringify(result.errors, null, 2)}\n`)
  process.exit(1)
}
process.stdout.write(`${file} is a valid OpenAPI ${validator.version} document.\n`)
