import { fileURLToPath } from 'node:url'

// src/ and dist/ sit at the same depth below the project root, so this works from both.
export const projectRoot = fileURLToPath(new URL('..', import.meta.url))
export const prismaDir = fileURLToPath(new URL('../prisma/', import.meta.url))
export const migrationsDir = fileURLToPath(new URL('../prisma/migrations/', import.meta.url))
export const schemaPath = fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url))
