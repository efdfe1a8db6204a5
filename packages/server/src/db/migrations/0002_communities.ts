import { sql } from 'kysely';
import type { ParleyMigration } from './types';

/**
 * Servers (guilds), roles, members, channels (guild channels, DMs, group DMs, threads),
 * messages with mentions, reactions and attachments, read states, invites, blocks, bots,
 * and full-text search over message content (FTS5 on SQLite, tsvector on PostgreSQL).
 */
export const communities: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('guilds')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('icon', 'text')
      .addColumn('description', 'text')
      .addColumn('owner_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('system_channel_id', t.id)
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('roles')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      // Decimal string: permission bits exceed what both engines' integers share comfortably.
      .addColumn('permissions', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('color', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('hoist', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('mentionable', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('managed', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('roles_guild_id').on('roles').column('guild_id').execute();

    await db.schema
      .createTable('members')
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('nick', 'text')
      .addColumn('joined_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('members_pk', ['guild_id', 'user_id'])
      .execute();
    await db.schema.createIndex('members_user_id').on('members').column('user_id').execute();

    await db.schema
      .createTable('member_roles')
      .addColumn('guild_id', t.id, (c) => c.notNull())
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('role_id', t.id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('member_roles_pk', ['guild_id', 'user_id', 'role_id'])
      .addForeignKeyConstraint('member_roles_member', ['guild_id', 'user_id'], 'members', ['guild_id', 'user_id'], (fk) => fk.onDelete('cascade'))
      .execute();

    await db.schema
      .createTable('channels')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('type', 'integer', (c) => c.notNull())
      .addColumn('guild_id', t.id, (c) => c.references('guilds.id').onDelete('cascade'))
      .addColumn('name', 'text')
      .addColumn('topic', 'text')
      .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
      // Guild channels: their category. Threads: the channel they hang off.
      .addColumn('parent_id', t.id)
      .addColumn('private', 'integer', (c) => c.notNull().defaultTo(0))
      // Group DMs: creator. Threads: who started it.
      .addColumn('owner_id', t.id)
      .addColumn('icon', 'text')
      .addColumn('last_message_id', t.id)
      .addColumn('last_pin_at', t.millis)
      .addColumn('rate_limit_per_user', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('bitrate', 'integer')
      .addColumn('user_limit', 'integer')
      .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('auto_archive_duration', 'integer')
      .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
      // One-to-one DMs: "<smaller user id>:<larger user id>", so a pair has one DM channel.
      .addColumn('dm_key', 'text', (c) => c.unique())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('channels_guild_id').on('channels').column('guild_id').execute();
    await db.schema.createIndex('channels_parent_id').on('channels').column('parent_id').execute();

    // Members of private channels, recipients of DMs and group DMs.
    await db.schema
      .createTable('channel_members')
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      // DMs: 'accepted', 'request' (first DM from a stranger, unanswered), 'hidden' (closed), 'declined'.
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('accepted'))
      .addColumn('joined_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('channel_members_pk', ['channel_id', 'user_id'])
      .execute();
    await db.schema.createIndex('channel_members_user_id').on('channel_members').column('user_id').execute();

    await db.schema
      .createTable('messages')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('guild_id', t.id)
      .addColumn('author_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('type', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('flags', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reference_message_id', t.id)
      .addColumn('reference_channel_id', t.id)
      .addColumn('mention_everyone', 'integer', (c) => c.notNull().defaultTo(0))
      // JSON array of role IDs mentioned (roles arrive with moderation; recorded already).
      .addColumn('mention_roles', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('pinned_at', t.millis)
      .addColumn('edited_at', t.millis)
      .addColumn('has_attachments', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('has_images', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // History is always "this channel, by ID": this index makes any page one range scan.
    await db.schema.createIndex('messages_channel_id_id').on('messages').columns(['channel_id', 'id']).execute();
    await db.schema.createIndex('messages_author_id').on('messages').columns(['author_id', 'id']).execute();

    await db.schema
      .createTable('message_mentions')
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('channel_id', t.id, (c) => c.notNull())
      .addPrimaryKeyConstraint('message_mentions_pk', ['message_id', 'user_id'])
      .execute();
    // Unread mention counts: "mentions of me in this channel after my last read".
    await db.schema.createIndex('message_mentions_user').on('message_mentions').columns(['user_id', 'channel_id', 'message_id']).execute();

    await db.schema
      .createTable('reactions')
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('emoji', 'text', (c) => c.notNull())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('reactions_pk', ['message_id', 'emoji', 'user_id'])
      .execute();

    await db.schema
      .createTable('attachments')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull())
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('width', 'integer')
      .addColumn('height', 'integer')
      .addColumn('has_thumbnail', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('attachments_message_id').on('attachments').column('message_id').execute();

    await db.schema
      .createTable('read_states')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('last_message_id', t.id, (c) => c.notNull())
      .addPrimaryKeyConstraint('read_states_pk', ['user_id', 'channel_id'])
      .execute();

    await db.schema
      .createTable('invites')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('inviter_id', t.id, (c) => c.references('users.id').onDelete('set null'))
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_uses', 'integer', (c) => c.notNull())
      .addColumn('max_age', 'integer', (c) => c.notNull())
      .addColumn('temporary', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expires_at', t.millis)
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('invites_guild_id').on('invites').column('guild_id').execute();

    await db.schema
      .createTable('relationships')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('other_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('type', 'integer', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('relationships_pk', ['user_id', 'other_id'])
      .execute();
    await db.schema.createIndex('relationships_other_id').on('relationships').column('other_id').execute();

    await db.schema
      .createTable('applications')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('owner_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('bot_user_id', t.id, (c) => c.unique().references('users.id'))
      .addColumn('bot_token_hash', 'text', (c) => c.unique())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('applications_owner_id').on('applications').column('owner_id').execute();

    if (t.dialect === 'sqlite') {
      // An external-content FTS5 index kept in step by triggers: the text is stored once.
      await sql`create virtual table messages_fts using fts5(content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(db);
      await sql`create trigger messages_fts_insert after insert on messages begin
        insert into messages_fts(rowid, content) values (new.id, new.content); end`.execute(db);
      await sql`create trigger messages_fts_delete after delete on messages begin
        insert into messages_fts(messages_fts, rowid, content) values ('delete', old.id, old.content); end`.execute(db);
      await sql`create trigger messages_fts_update after update of content on messages begin
        insert into messages_fts(messages_fts, rowid, content) values ('delete', old.id, old.content);
        insert into messages_fts(rowid, content) values (new.id, new.content); end`.execute(db);
    } else {
      // 'simple': no language-specific stemming, so every language is searched alike.
      await sql`alter table messages add column content_tsv tsvector generated always as (to_tsvector('simple', content)) stored`.execute(db);
      await sql`create index messages_content_tsv on messages using gin (content_tsv)`.execute(db);
    }
  },
};
