import { Type } from '@sinclair/typebox'

/**
 * The error body of Huawei Cloud APIs (API Gateway and the services behind it):
 * `{"error_code": "APIGW.0301", "error_msg": "…"}`. The request id travels in
 * the `X-Request-Id` header, which is where the Huawei SDKs read it from.
 */
export const HuaweiError = Type.Object({
  error_code: Type.String({ description: 'Stable error code (APIGW.* gateway level, a service prefix otherwise)' }),
  error_msg: Type.String({ description: 'What went wrong; never a secret' })
}, { title: 'HuaweiError' })
