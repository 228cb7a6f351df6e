import { createCipheriv, createDecipheriv, createHash, createHmac, hash, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * The deployment's master key and everything derived from it (docs/security.md rule 3).
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
export const hashToken = (token: string): string => hash('sha256', token, 'hex')

/**
 * Constant-time equality for MACs and digests whose size the scheme fixes:
 * their length is no secret, so unequal lengths are simply unequal, and no
 * digest of either side is needed (safeEqual is for secrets of any length).
 */
export function macEqual (expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given)
}

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

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const

/**
 * Password hash for broker logins (gateway passwords may be chosen by an
 * operator, so they get a salted, slow hash rather than a plain digest).
 * Format: `scrypt$N$r$p$salt$hash` (base64url).
 */
export async function hashPassword (password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(password, salt, SCRYPT)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

export async function verifyPassword (password: string | Buffer, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'),
    { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length })
  return timingSafeEqual(actual, expected)
}

function scryptAsync (password: string | Buffer, salt: Buffer, o: { N: number, r: number, p: number, keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, o.keylen, { N: o.N, r: o.r, p: o.p }, (err, key) => { if (err) reject(err); else resolve(key) })
  })
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Uniform random string over an alphabet (rejection sampling: no modulo bias). */
export function randomString (length: number, alphabet: string = ALPHANUMERIC): string {
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length]
      if (out.length === length) break
    }
  }
  return out
}
