import { PGlite } from '@electric-sql/pglite'
import { PGLITE_OPTIONS } from './pglite.js'

/** Child process of openPglite: creates the data directory given as argv[2], then exits. */
const dataDir = process.argv[2]
if (dataDir === undefined) throw new Error('usage: pglite-initdb <data dir>')
const db = await PGlite.create(dataDir, PGLITE_OPTIONS)
await db.close()
