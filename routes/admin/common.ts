/** Admin changes are attributed to this actor in the audit log. */
export const ADMIN_ACTOR = 'admin'

/** OpenAPI decoration shared by every admin operation. */
export const adminDocs = { tags: ['admin'], security: [{ adminToken: [] }] }
