import type { Db } from './db.js'

/**
 * Schema migrations, shared by PGlite and PostgreSQL. Append only: a released
 * migration is never edited. Secret columns (`*_sealed`) hold AES-256-GCM
 * ciphertexts from MasterKey.seal, bound to table, column and row id.
 */
export const MIGRATIONS: ReadonlyArray<{ id: number, name: string, sql: string }> = [
  {
    id: 1,
    name: 'initial schema',
    sql: `
      create table meta (
        key text primary key,
        value text not null
      );

      create table projects (
        id text primary key,
        name text not null,
        instance_id text,
        disabled boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );

      create table access_keys (
        id text primary key,
        project_id text not null references projects(id) on delete cascade,
        secret_sealed text not null,
        disabled boolean not null default false,
        created_at timestamptz not null default now(),
        disabled_at timestamptz
      );
      create index access_keys_project on access_keys(project_id);

      create table api_tokens (
        id text primary key,
        project_id text not null references projects(id) on delete cascade,
        token_hash text not null unique,
        expires_at timestamptz not null,
        revoked boolean not null default false,
        created_at timestamptz not null default now()
      );
      create index api_tokens_project on api_tokens(project_id);

      create table targets (
        id text primary key,
        project_id text not null references projects(id) on delete cascade,
        name text not null,
        provider text not null check (provider in ('local', 'aliyun', 'aws', 'huawei')),
        bucket text not null,
        region text not null,
        endpoint text not null,
        internal_endpoint text,
        vpc_endpoint text,
        duration_seconds integer not null,
        upstream_sealed text,
        version integer not null default 1,
        created_at timestamptz not null default now(),
        unique (project_id, name)
      );

      create table bindings (
        project_id text not null references projects(id) on delete cascade,
        kind text not null check (kind in ('edas', 'workspace')),
        target_id text not null references targets(id),
        prefix text not null,
        updated_at timestamptz not null default now(),
        primary key (project_id, kind)
      );

      create table devices (
        id text primary key,
        project_id text not null references projects(id) on delete cascade,
        primary_sealed text,
        secondary_sealed text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index devices_project on devices(project_id);

      create table gateways (
        sn text primary key,
        project_id text not null references projects(id) on delete cascade,
        target_id text not null references targets(id),
        object_key_prefix text not null,
        password_hash text not null,
        sub_devices text[] not null default '{}',
        disabled boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index gateways_project on gateways(project_id);

      create table audit_events (
        seq bigserial primary key,
        chain text not null,
        at timestamptz not null default now(),
        project_id text,
        actor text not null,
        action text not null,
        subject text,
        detail jsonb not null default '{}',
        prev_hash text not null,
        hash text not null
      );
      create index audit_events_chain on audit_events(chain, seq);
    `
  },
  {
    id: 2,
    name: 'one namespace for dock serials, sub-device serials and device ids',
    // Every name a device or dock is known by on MQTT (dock sn, sub-device sn, IoTDA device id)
    // is one row here, owned by exactly one gateway or device row and deleted with it (the
    // owner references are checked at commit, so a claim can precede its owner's row): the
    // primary key makes a name unique across projects and roles (docs/operations.md
    // "Tenant isolation"). Rows registered before this migration keep their names in order of
    // creation; a later row whose name was already taken keeps its row but owns no name, so it
    // can neither log in nor receive credentials until an operator resolves the clash.
    sql: `
      create table device_identities (
        name text primary key,
        project_id text not null references projects(id) on delete cascade,
        role text not null check (role in ('dock', 'sub_device', 'device')),
        gateway_sn text references gateways(sn) on delete cascade deferrable initially deferred,
        device_id text references devices(id) on delete cascade deferrable initially deferred,
        check ((role = 'device') = (device_id is not null) and (role = 'device') = (gateway_sn is null))
      );
      create index device_identities_gateway on device_identities(gateway_sn);
      create index device_identities_device on device_identities(device_id);

      insert into device_identities (name, project_id, role, gateway_sn, device_id)
      select name, project_id, role, gateway_sn, device_id from (
        select g.sn as name, g.project_id, 'dock' as role, g.sn as gateway_sn, null::text as device_id, g.created_at, 0 as rank
        from gateways g
        union all
        select s.name, g.project_id, 'sub_device', g.sn, null::text, g.created_at, 1
        from gateways g cross join lateral unnest(g.sub_devices) as s(name)
        union all
        select d.id, d.project_id, 'device', null::text, d.id, d.created_at, 2
        from devices d
      ) claims
      order by created_at, rank, name
      on conflict (name) do nothing
    `
  },
  {
    id: 3,
    name: 'last use of keys and tokens; audit listing by project',
    sql: `
      alter table access_keys add column last_used_at timestamptz;
      alter table api_tokens add column last_used_at timestamptz;
      create index audit_events_project on audit_events(project_id, seq);
    `
  }
]

/** Any fixed number: the advisory lock that serialises migrations across instances. */
const MIGRATION_LOCK = 7_262_011_001

/**
 * Applies pending migrations. Safe when several instances start at once on one
 * PostgreSQL: they queue on a transaction-scoped advisory lock and the later
 * ones find nothing left to do.
 */
export async function migrate (db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.query(`create table if not exists schema_migrations (
      id integer primary key, name text not null, applied_at timestamptz not null default now())`)
    const done = new Set((await tx.query<{ id: number }>('select id from schema_migrations')).map((r) => Number(r.id)))
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue
      for (const statement of splitStatements(m.sql)) await tx.query(statement)
      await tx.query('insert into schema_migrations (id, name) values ($1, $2)', [m.id, m.name])
      applied.push(m.id)
    }
    return applied
  })
}

/** Our migrations hold no functions or quoted semicolons, so `;` ends a statement. */
function splitStatements (sql: string): string[] {
  return sql.split(';').map((s) => s.trim()).filter((s) => s.length > 0)
}
