import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Database } from './database';
import { accounts } from './migrations/0001_accounts';
import { communities } from './migrations/0002_communities';
import { instanceSecrets } from './migrations/0003_instance_secrets';
import { notificationSettings } from './migrations/0004_notification_settings';
import { calls } from './migrations/0005_calls';
import { messageNonces } from './migrations/0006_message_nonces';
import { knownSignInSources } from './migrations/0007_known_sign_in_sources';
import { governance } from './migrations/0008_governance';
import { voicePermissions } from './migrations/0009_voice_permissions';
import { emailLinks } from './migrations/0010_email_links';
import { twoFactor } from './migrations/0011_two_factor';
import { identities } from './migrations/0013_identities';
import { accountLifecycle } from './migrations/0014_account_lifecycle';
import { securityEvents } from './migrations/0015_security_events';
import { instanceSafety } from './migrations/0016_instance_safety';
import { adminStats } from './migrations/0017_admin_stats';
import { safetyPolicy } from './migrations/0018_safety_policy';
import { reports } from './migrations/0019_reports';
import { guildRulesVersion } from './migrations/0020_guild_rules_version';
import { roleHoldersIndex } from './migrations/0021_role_holders_index';
import { e2ee } from './migrations/0022_e2ee';
import { e2eeHistoryRequests } from './migrations/0023_e2ee_history_requests';
import { encryptedServers } from './migrations/0024_encrypted_servers';
import { webhooks } from './migrations/0025_webhooks';
import { linkPreviews } from './migrations/0026_link_previews';
import { emojis } from './migrations/0027_emojis';
import { pushSubscriptions } from './migrations/0028_push_subscriptions';
import { uploads } from './migrations/0029_uploads';
import { fileOffers } from './migrations/0030_file_offers';
import { stage } from './migrations/0031_stage';
import { callMedia } from './migrations/0032_call_media';
import { columnTypes, type ParleyMigration } from './migrations/types';

/** In order; names never change once released. */
const MIGRATIONS: Record<string, ParleyMigration> = {
  '0001_accounts': accounts,
  '0002_communities': communities,
  '0003_instance_secrets': instanceSecrets,
  '0004_notification_settings': notificationSettings,
  '0005_calls': calls,
  '0006_message_nonces': messageNonces,
  '0007_known_sign_in_sources': knownSignInSources,
  '0008_governance': governance,
  '0009_voice_permissions': voicePermissions,
  '0010_email_links': emailLinks,
  '0011_two_factor': twoFactor,
  '0013_identities': identities,
  '0014_account_lifecycle': accountLifecycle,
  '0015_security_events': securityEvents,
  '0016_instance_safety': instanceSafety,
  '0017_admin_stats': adminStats,
  '0018_safety_policy': safetyPolicy,
  '0019_reports': reports,
  '0020_guild_rules_version': guildRulesVersion,
  '0021_role_holders_index': roleHoldersIndex,
  '0022_e2ee': e2ee,
  '0023_e2ee_history_requests': e2eeHistoryRequests,
  '0024_encrypted_servers': encryptedServers,
  '0025_webhooks': webhooks,
  '0026_link_previews': linkPreviews,
  '0027_emojis': emojis,
  '0028_push_subscriptions': pushSubscriptions,
  '0029_uploads': uploads,
  '0030_file_offers': fileOffers,
  '0031_stage': stage,
  '0032_call_media': callMedia,
};

export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

/** Brings the schema to the latest version. Safe to run on every start, from several nodes at once. */
export async function migrateToLatest(database: Database): Promise<void> {
  const types = columnTypes(database.dialect);
  const provider: MigrationProvider = {
    getMigrations: async () => Object.fromEntries(Object.entries(MIGRATIONS).map(([name, m]): [string, Migration] => [name, { up: (db) => m.up(db, types) }])),
  };
  // With an explicit schema, Kysely must look for its bookkeeping tables there, not in any schema.
  const migrator = new Migrator({ db: database.db, provider, ...(database.schema ? { migrationTableSchema: database.schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
