import { hashToken, randomHex } from '../keys.js'
import { notFound } from '../errors.js'
import { appendAudit } from './audit.js'
import { notifyChange, type StoreContext } from './context.js'
import { recordLastUsed } from './access-keys.js'

export interface TokenSummary {
  tokenId: string
  expiresAt: Date
  revoked: boolean
  createdAt: Date
  /** Last successful authentication, as flushed by the usage log (src/auth/last-used.ts); null when never used. */
  lastUsedAt: Date | null
}

export interface TokenForAuth {
  tokenId: string
  projectId: string
  expiresAt: Date
  /** Revoked, or its project is disabled. */
  disabled: boolean
}

export class Tokens {
  constructor (private readonly ctx: StoreContext) {}

  /** The token itself is returned once and stored only as a SHA-256 hash. */
  async create (projectId: string, ttlSeconds: number, actor: string): Promise<{ tokenId: string, token: string, expiresAt: Date }> {
    const tokenId = randomHex(8)
    const token = `stsg.${randomHex(32)}`
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + ttlSeconds * 1000)
    await this.ctx.db.transaction(async (tx) => {
      const project = await tx.query('select id from projects where id = $1', [projectId])
      if (project.length === 0) throw notFound('project_not_found', `project ${projectId} does not exist`)
      await tx.query('insert into api_tokens (id, project_id, token_hash, expires_at) values ($1, $2, $3, $4)',
        [tokenId, projectId, hashToken(token), expiresAt])
      await appendAudit(tx, { projectId, actor, action: 'token.create', subject: tokenId, detail: { ttl_seconds: ttlSeconds } })
    })
    return { tokenId, token, expiresAt }
  }

  async list (projectId: string): Promise<TokenSummary[]> {
    const rows = await this.ctx.db.query<{ id: string, expires_at: Date, revoked: boolean, created_at: Date, last_used_at: Date | null }>(
      'select id, expires_at, revoked, created_at, last_used_at from api_tokens where project_id = $1 order by created_at, id', [projectId])
    return rows.map((r) => ({
      tokenId: r.id,
      expiresAt: new Date(r.expires_at),
      revoked: r.revoked,
      createdAt: new Date(r.created_at),
      lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at)
    }))
  }

  /** See AccessKeys.recordLastUsed. */
  async recordLastUsed (uses: ReadonlyMap<string, Date>): Promise<void> {
    await recordLastUsed(this.ctx.db, 'api_tokens', uses)
  }

  async revoke (projectId: string, tokenId: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query('update api_tokens set revoked = true where id = $1 and project_id = $2 returning id', [tokenId, projectId])
      if (rows.length === 0) throw notFound('token_not_found', `token ${tokenId} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: 'token.revoke', subject: tokenId })
      await notifyChange(this.ctx, tx, { kind: 'token', id: tokenId, projectId, disconnect: true })
    })
  }

  /** Lookup by hash: the database never sees the token, and equality of hashes leaks nothing useful. */
  async findForAuth (token: string): Promise<TokenForAuth | undefined> {
    const [row] = await this.ctx.db.query<{ id: string, project_id: string, expires_at: Date, disabled: boolean }>(
      `select t.id, t.project_id, t.expires_at, (t.revoked or p.disabled) as disabled
       from api_tokens t join projects p on p.id = t.project_id where t.token_hash = $1`, [hashToken(token)])
    if (row === undefined) return undefined
    return { tokenId: row.id, projectId: row.project_id, expiresAt: new Date(row.expires_at), disabled: row.disabled }
  }
}
