import { defineConfig } from 'prisma/config'

// Only `prisma generate` runs through the Prisma CLI here; migrations are applied by
// src/db/migrator.ts with the WebAssembly schema engine (see README.md, "Migrations").
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
})
