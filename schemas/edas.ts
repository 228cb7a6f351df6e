import { Type, type Static } from '@sinclair/typebox'

/**
 * Alibaba EDAS GetPackageStorageCredential (GET /pop/v5/package_storage_credential),
 * field for field as on the vendor page (docs/edas.md "Success (HTTP 200)").
 */

export const PackageStorageCredential = Type.Object({
  KeyPrefix: Type.String({ description: 'The OSS object key prefix the credential may use (ends in "/")', examples: ['release-pkg/0f3a9c1e2b4d5f60718293a4b5c6d7e8/'] }),
  SecurityToken: Type.String({ description: 'The STS security token' }),
  AccessKeySecret: Type.String({ description: 'The temporary AccessKey secret' }),
  Expiration: Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$',
    description: 'When the credential expires: UTC, ISO-8601, second precision',
    examples: ['2019-11-10T07:20:19Z']
  }),
  AccessKeyId: Type.String({ description: 'The temporary AccessKey ID' }),
  Bucket: Type.String({ description: 'The OSS bucket', examples: ['edas-bj'] }),
  RegionId: Type.String({ description: 'The region of the bucket', examples: ['cn-beijing'] }),
  OssPublicEndpoint: Type.String({ description: 'Public endpoint, a bare host', examples: ['oss-cn-beijing.aliyuncs.com'] }),
  OssInternalEndpoint: Type.String({
    description: 'Internal endpoint, a bare host. Unless configured: oss-<region>-internal.aliyuncs.com for an oss-<region>.aliyuncs.com public endpoint, else the public endpoint',
    examples: ['oss-cn-beijing-internal.aliyuncs.com']
  }),
  OssVpcEndpoint: Type.String({
    description: 'VPC endpoint, a bare host. Unless configured: the internal endpoint (as on the vendor page)',
    examples: ['oss-cn-beijing-internal.aliyuncs.com']
  })
}, { title: 'PackageStorageCredential' })

export const PackageStorageCredentialReply = Type.Object({
  Code: Type.Integer({ description: 'Always the integer 200 on success', examples: [200] }),
  Message: Type.String({ examples: ['success'] }),
  RequestId: Type.String({ description: 'Also in the x-acs-request-id response header' }),
  Credential: PackageStorageCredential
}, { title: 'GetPackageStorageCredentialResponse', description: 'A temporary OSS credential limited to KeyPrefix' })

export type PackageStorageCredentialReply = Static<typeof PackageStorageCredentialReply>

/** Alibaba POP error body (JSON): `Code` is a string here, unlike the success body. */
export const PopError = Type.Object({
  RequestId: Type.String({ description: 'Also in the x-acs-request-id response header; quote it to the operator' }),
  HostId: Type.String({ description: 'The host the request was addressed to' }),
  Code: Type.String({ description: 'Stable error code (see the route description for the table)' }),
  Message: Type.String({ description: 'What went wrong; never a secret and never internal details' }),
  Recommend: Type.Optional(Type.String({ description: 'Where to look next' }))
}, { title: 'PopError' })

export type PopError = Static<typeof PopError>
