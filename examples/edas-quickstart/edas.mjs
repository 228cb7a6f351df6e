// An EDAS client as it is, pointed at stsgate: only the endpoint changes.
// Usage: node edas.mjs [ak.json]   (STSGATE_URL overrides http://127.0.0.1:3000)
import ROAClient from '@alicloud/pop-core/lib/roa.js'
import { readFileSync } from 'node:fs'

const { access_key_id, secret_access_key } = JSON.parse(readFileSync(process.argv[2] ?? '../../ak.json', 'utf8'))
const client = new ROAClient({ accessKeyId: access_key_id, accessKeySecret: secret_access_key,
  endpoint: process.env.STSGATE_URL ?? 'http://127.0.0.1:3000', apiVersion: '2017-08-01' })
console.log(await client.request('GET', '/pop/v5/package_storage_credential', {}, '', {}, {}))
