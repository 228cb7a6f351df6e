import type { Dialect } from './install.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Filled by `useErrorDialect` at registration; read only before routing. */
    dialects: DialectsByPrefix
  }
}

/**
 * The dialect of each path prefix, filled by the contract plugins as they
 * register (`useErrorDialect`). Only failures that happen before Fastify has
 * chosen a route read it — bytes Node refuses, a malformed URL, an over-long
 * path parameter — since every routed request already runs inside its
 * contract's plugin. Nothing here names a vendor.
 */
export class DialectsByPrefix {
  readonly #claims: Array<{ prefix: string, dialect: Dialect }> = []

  constructor (private readonly fallback: Dialect) {}

  claim (prefix: string, dialect: Dialect): void {
    this.#claims.push({ prefix, dialect })
  }

  /** The dialect of the prefix a path is under; the fallback (operator dialect) outside every claim. */
  for (url: string): Dialect {
    return this.#claims.find(({ prefix }) => url === prefix || url.startsWith(`${prefix}/`))?.dialect ?? this.fallback
  }
}
