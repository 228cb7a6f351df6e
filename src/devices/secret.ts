import { randomBytes } from 'node:crypto'

/** A generated device secret: 32 hex characters from the CSPRNG (docs/iotda.md "Request"). */
export const generateDeviceSecret = (): string => randomBytes(16).toString('hex')
