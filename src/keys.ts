import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The deployment's master key and everything derived from it (security.md rule 3).
 *
 * Each use gets its own sub-key through HKDF-SHA256, so a key used to seal
 * store columns never doubles as a MAC key. Sealed values carry the key id so
 * that a key rotation can tell old from new ciphertexts.
 */
export class MasterKey {
  /** Short, non-secret fingerprint of the master key; stored with every ciphertext. */
  readonly keyId: string
  readonly #master: Buffer
  readonly #subKeys = new Map<string, Buffer>()

  constructor (master: Buffer) {
    if (master.length !== 32) throw new Error('the master key must be 32 bytes')
    this.#master = Buffer.from(master)
    this.keyId = createHash('sha256').update('stsgate key id\0').update(master).digest('hex').slice(0, 16)
  }

  /** A 32-byte key for one purpose, e.g. `seal:v1` or `local-sts:v1`. */
  subKey (purpose: string): Buffer {
    let key = this.#subKeys.get(purpose)
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', this.#master, Buffer.alloc(0), `stsgate ${purpose}`, 32))
      this.#subKeys.set(purpose, key)
    }
    return key
  }

  /**
   * AES-256-GCM with the additional data bound in (callers pass table, column
   * and row id), so a ciphertext copied to another row or column fails to open.
   * Format: `v1.<keyId>.<base64url iv|tag|ciphertext>`.
   */
  seal (plaintext: string, additionalData: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.subKey('seal:v1'), iv)
    cipher.setAAD(Buffer.from(additionalData))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `v1.${this.keyId}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`
  }

  open (sealed: string, additionalData: string): string {
    const [version, keyId, payload] = sealed.split('.')
    if (version !== 'v1' || payload === undefined) throw new Error('unknown ciphertext format')
    if (keyId !== this.keyId) throw new Error(`ciphertext was sealed under key ${keyId}, not the configured master key ${this.keyId}`)
    const raw = Buffer.from(payload, 'base64url')
    const decipher = createDecipheriv('aes-256-gcm', this.subKey('seal:v1'), raw.subarray(0, 12))
    decipher.setAAD(Buffer.from(additionalData))
    decipher.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
  }

  /** HMAC-SHA256 under a purpose's sub-key; for tokens the service itself issues and checks. */
  mac (purpose: string, data: string | Buffer): Buffer {
    return createHmac('sha256', this.subKey(purpose)).update(data).digest()
  }
}

/**
 * Hash for bearer secrets we only ever compare (API tokens, the admin token,
 * gateway passwords are hashed differently: see gateways). Tokens are 256-bit
 * random values, so a plain SHA-256 is enough: there is nothing to brute-force.
 */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Constant-time equality for strings of possibly different length. */
export function safeEqual (a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a
  const y = typeof b === 'string' ? Buffer.from(b) : b
  // Compare digests so that the length difference itself takes constant time.
  const hx = createHash('sha256').update(x).digest()
  const hy = createHash('sha256').update(y).digest()
  return timingSafeEqual(hx, hy) && x.length === y.length
}

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex')
