import { createServer, type AddressInfo } from 'node:net'

/**
 * A loopback port that was free a moment ago, for listeners that cannot take
 * port 0 themselves (STSGATE_MQTT_PORT=0 means "no broker", not "any port").
 */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
