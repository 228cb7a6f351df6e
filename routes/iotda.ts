import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { ResetSecretBody, ResetSecretHeaders, ResetSecretParams, ResetSecretQuery, ResetSecretReply } from '../schemas/iotda.js'
import { absentBodyIsEmpty } from '../src/http-body.js'
import { forbidden } from '../src/errors.js'
import { noteForLog } from './request-log.js'
import { callerOf, requireOwnProject } from './authenticate.js'
import { contractPlugin } from './contract-plugin.js'
import { huaweiErrorResponses } from './dialects/huawei.js'
import { refuseOtherMethods, useErrorDialect } from './dialects/install.js'
import { IOTDA_ERROR_STATUSES, IOTDA_ERRORS, renderIotdaError } from './iotda-errors.js'

/**
 * Huawei IoTDA ResetDeviceSecret (docs/iotda.md). Registered under
 * the `/v5` prefix: unknown paths and methods there answer in IoTDA's dialect.
 */
const RESET = '/iot/:project_id/devices/:device_id/action'



const iotda: FastifyPluginAsyncTypebox = async (app) => {
  useErrorDialect(app, renderIotdaError)
  refuseOtherMethods(app, RESET, ['POST'])
  const secrets = app.devices

  /*
   * Instance-Id (vendor page: 实例ID, optional, required on the professional
   * edition). Sent: it must name the project's instance. A project without a
   * configured instance id is a basic-edition-style project: the header is
   * ignored there, as the basic edition does, so SDK configurations that always
   * send it keep working. The project itself always comes from the credential.
   */
  async function requireOwnInstance (req: FastifyRequest): Promise<void> {
    const sent = req.headers['instance-id']
    if (sent === undefined) return
    const { instanceId } = await app.store.projects.get((req.params as { project_id: string }).project_id)
    if (instanceId !== null && sent !== instanceId) {
      throw forbidden('instance_mismatch', 'the Instance-Id header does not name this project\'s instance')
    }
  }

  app.post(RESET, {
    schema: {
      tags: ['iotda'],
      summary: 'Reset a device secret (primary or secondary), optionally closing its live MQTT connections',
      description: 'Authenticate with an X-Auth-Token issued for the project, or a Huawei AK/SK signature ' +
        '(SDK-HMAC-SHA256, or derived V11-HMAC-SHA256 with service iotdm; X-Sdk-Date within 15 minutes, each signature once). ' +
        'The new secret is committed before the reply and takes effect on every instance at once; ' +
        'the other secret type keeps working. The body is optional although the document marks it required ' +
        '(@fastify/swagger always does): absent or empty, the primary secret is reset to a generated one. ' +
        'Errors are {error_code, error_msg}; the request id is in the X-Request-Id header.',
      security: [{ authToken: [] }],
      params: ResetSecretParams,
      querystring: ResetSecretQuery,
      headers: ResetSecretHeaders,
      body: ResetSecretBody,
      response: { 200: ResetSecretReply, ...huaweiErrorResponses(IOTDA_ERRORS, IOTDA_ERROR_STATUSES) }
    },
    // Authentication and authorization before schema validation: a stranger
    // learns nothing about the input rules or which devices exist.
    preValidation: [app.authenticate.huawei, app.limitCaller, requireOwnProject, requireOwnInstance, absentBodyIsEmpty]
  }, async (req) => {
    const caller = callerOf(req)
    const body = req.body
    const result = await secrets.reset({
      projectId: req.params.project_id,
      deviceId: req.params.device_id,
      secret: body.secret,
      secretType: body.secret_type ?? 'PRIMARY',
      forceDisconnect: body.force_disconnect ?? false,
      actor: caller.principal
    })
    noteForLog(req, 'device secret reset', {
      project: req.params.project_id,
      device_id: result.deviceId,
      secret_type: result.secretType,
      generated: body.secret === undefined,
      force_disconnect: body.force_disconnect ?? false,
      principal: caller.principal
    })
    return { device_id: result.deviceId, secret: result.secret, secret_type: result.secretType }
  })
}
export default contractPlugin('iotda', iotda, ['devices', 'store'])
