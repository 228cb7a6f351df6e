import { Type, type Static } from '@sinclair/typebox'
import { described, ProjectId } from './common.js'

/**
 * Huawei Workspace `POST /v1/{project_id}/app-warehouse/action/authorize`
 * (docs/workspace.md). Field names, nesting and formats are the
 * vendor's, so Huawei clients parse the replies unchanged.
 */

export const AuthorizeParams = Type.Object({ project_id: ProjectId })

/**
 * The length is checked in code as well: JSON Schema's maxLength counts
 * characters, the contract counts UTF-8 bytes (255). The character rules
 * (no / \ * ? $ { }, no control characters, not . or ..) are also checked in
 * code, to answer with a message naming the rule instead of a regex.
 */
export const AuthorizeBody = Type.Object({
  app_file_name: Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Installer file name: 1–255 UTF-8 bytes; no / \\ * ? $ { } or control characters; not "." or ".."; ' +
      'spaces and non-ASCII letters are fine',
    examples: ['Postman.exe']
  })
}, { additionalProperties: false, examples: [{ app_file_name: 'Postman.exe' }] })
export type AuthorizeBodyType = Static<typeof AuthorizeBody>

export const PolicyStatement = Type.Object({
  effect: Type.Literal('Allow', { description: 'Policy operation type' }),
  action: Type.Array(Type.String(), { description: 'All granted permissions: obs:object:putObject, obs:object:deleteObject' }),
  resource: Type.Array(Type.String(), { description: 'The one object: obs:*:*:object:{bucket}/{directory}' })
}, { title: 'PolicyStatement' })

export const Policy = Type.Object({
  version: Type.Literal('1.1', { description: 'Version number' }),
  // An object, not an array, as on the vendor page.
  statement: PolicyStatement
}, { title: 'Policy', description: 'Access policy allowed by the AK/SK (exactly what was granted upstream)' })

export const AuthorizeReply = described(Type.Object({
  server_end_point: Type.String({ description: 'OBS endpoint, an https:// URL', examples: ['https://obs.cn-north-4.myhuaweicloud.com'] }),
  bucket_name: Type.String({ description: 'Name of the bucket' }),
  directory: Type.String({ description: 'The object key: the project directory followed by app_file_name', examples: ['file/0f3a9c1e2b4d5f60718293a4b5c6d7e8/Postman.exe'] }),
  ak: Type.String({ description: 'Temporary access key id' }),
  sk: Type.String({ description: 'Temporary secret access key' }),
  security_token: Type.String({ description: 'Security token to send with the temporary AK/SK' }),
  policy: Policy,
  expires_at: Type.String({ description: 'Expiry of the AK/SK and token: UTC with six fractional digits', examples: ['2020-01-08T03:16:01.599000Z'] })
}, { title: 'AuthorizeReply' }), 'Temporary AK/SK that can put and delete exactly that one object')
export type AuthorizeReplyType = Static<typeof AuthorizeReply>
