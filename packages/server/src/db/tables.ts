import type { Snowflake } from '@parley/protocol';
import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * Row types of every table. Conventions the db layer relies on (see ./normalize.ts):
 * - snowflake columns are named `id` or `*_id` and come back as strings;
 * - other integer columns (counts, `*_at` epoch milliseconds, 0/1 flags) come back as numbers.
 */
export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
  registration_invites: RegistrationInvitesTable;
  instance_settings: InstanceSettingsTable;
  instance_secrets: InstanceSecretsTable;
  guilds: GuildsTable;
  roles: RolesTable;
  members: MembersTable;
  member_roles: MemberRolesTable;
  channels: ChannelsTable;
  channel_members: ChannelMembersTable;
  messages: MessagesTable;
  message_mentions: MessageMentionsTable;
  reactions: ReactionsTable;
  attachments: AttachmentsTable;
  read_states: ReadStatesTable;
  invites: InvitesTable;
  relationships: RelationshipsTable;
  applications: ApplicationsTable;
  guild_notification_settings: GuildNotificationSettingsTable;
  channel_notification_settings: ChannelNotificationSettingsTable;
  calls: CallsTable;
  voice_states: VoiceStatesTable;
  message_calls: MessageCallsTable;
  message_nonces: MessageNoncesTable;
  known_sign_in_sources: KnownSignInSourcesTable;
  permission_overwrites: PermissionOverwritesTable;
  bans: BansTable;
  audit_log_entries: AuditLogEntriesTable;
  email_tokens: EmailTokensTable;
  security_events: SecurityEventsTable;
  user_identities: UserIdentitiesTable;
  sso_tickets: SsoTicketsTable;
  totp_secrets: TotpSecretsTable;
  recovery_codes: RecoveryCodesTable;
  mfa_tickets: MfaTicketsTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebAuthnChallengesTable;
  instance_audit_log: InstanceAuditLogTable;
  reports: ReportsTable;
  safety_holds: SafetyHoldsTable;
  safety_blocks: SafetyBlocksTable;
  safety_appeals: SafetyAppealsTable;
  call_history: CallHistoryTable;
  call_participation: CallParticipationTable;
  gateway_nodes: GatewayNodesTable;
  user_activity: UserActivityTable;
  webhooks: WebhooksTable;
  link_previews: LinkPreviewsTable;
  emojis: EmojisTable;
  push_subscriptions: PushSubscriptionsTable;
  uploads: UploadsTable;
  e2ee_devices: E2eeDevicesTable;
  e2ee_key_packages: E2eeKeyPackagesTable;
  mls_commits: MlsCommitsTable;
  mls_welcomes: MlsWelcomesTable;
  e2ee_backups: E2eeBackupsTable;
  e2ee_history_requests: E2eeHistoryRequestsTable;
}

/** A device asking its person's other devices for their history's keys (protocol HistoryRequest). */
export interface E2eeHistoryRequestsTable {
  id: Snowflake;
  user_id: Snowflake;
  device_id: Snowflake;
  public_key: string;
  created_at: number;
  approved_by: Snowflake | null;
  sealed: string | null;
  signature: string | null;
}

export interface E2eeBackupsTable {
  user_id: Snowflake;
  version: number;
  /** JSON of the passphrase wrap (protocol PassphraseWrap), or null. */
  passphrase: string | null;
  ciphertext: string;
  updated_at: number;
}

export interface E2eeDevicesTable {
  id: Snowflake;
  user_id: Snowflake;
  name: string;
  created_at: number;
}

export interface E2eeKeyPackagesTable {
  id: Snowflake;
  device_id: Snowflake;
  /** base64 of an MLSMessage holding a KeyPackage. */
  key_package: string;
  last_resort: Generated<Flag>;
}

export interface MlsCommitsTable {
  channel_id: Snowflake;
  /** The epoch this commit moved the group from. */
  epoch: number;
  device_id: Snowflake;
  commit: string;
  created_at: number;
}

export interface MlsWelcomesTable {
  id: Snowflake;
  device_id: Snowflake;
  channel_id: Snowflake;
  epoch: number;
  welcome: string;
  created_at: number;
}

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type RegistrationInviteRow = Selectable<RegistrationInvitesTable>;
export type GuildRow = Selectable<GuildsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type EmojiRow = Selectable<EmojisTable>;
export type RoleRow = Selectable<RolesTable>;
export type MemberRow = Selectable<MembersTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type NewChannel = Insertable<ChannelsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type AttachmentRow = Selectable<AttachmentsTable>;
export type InviteRow = Selectable<InvitesTable>;
export type ApplicationRow = Selectable<ApplicationsTable>;
export type CallRow = Selectable<CallsTable>;
export type VoiceStateRow = Selectable<VoiceStatesTable>;
export type BanRow = Selectable<BansTable>;
export type AuditLogEntryRow = Selectable<AuditLogEntriesTable>;

export type Flag = 0 | 1;

export interface UsersTable {
  id: Snowflake;
  /** Lowercase; unique. */
  username: string;
  global_name: string | null;
  /** Lowercase; unique when set. */
  email: string | null;
  email_verified: Generated<Flag>;
  /** A new address waiting for its confirmation link; `email` stays until it is followed. */
  pending_email: Generated<string | null>;
  /** Erased at this time unless cancelled (features/accounts). */
  deletion_scheduled_at: Generated<number | null>;
  /** Erased: the row only keeps its messages' author ("Deleted user", "Former guest"). */
  deleted_at: Generated<number | null>;
  /** argon2id PHC string; null for guests. */
  password_hash: string | null;
  avatar: string | null;
  bio: Generated<string>;
  custom_status: string | null;
  guest: Generated<Flag>;
  bot: Generated<Flag>;
  admin: Generated<Flag>;
  password_change_required: Generated<Flag>;
  /** An authenticator app is set up (features/mfa). */
  mfa_enabled: Generated<Flag>;
  /** Marked as a minor (by an admin, or from a birth date at sign-up): scanned by default (features/safety). */
  minor: Generated<Flag>;
  /** Switched off by an instance admin: no sign-in, no session, until enabled again. */
  disabled_at: Generated<number | null>;
  created_at: number;
}

export type EmailTokenPurpose = 'verify' | 'reset';

/** A mailed link's token (features/mail/links.ts): hashed, single-use, expiring. */
export interface EmailTokensTable {
  /** SHA-256 of the token, hex. */
  token_hash: string;
  user_id: Snowflake;
  purpose: EmailTokenPurpose;
  /** The address the link was sent to (for `verify`, the one it confirms). */
  email: string;
  created_at: number;
  expires_at: number;
}

/** An instance admin's (or the safety system's) action, with who and why (features/instance-audit). */
export interface InstanceAuditLogTable {
  id: Snowflake;
  /** Null when the instance acted by itself (the classifier holding a message). */
  actor_id: Snowflake | null;
  /** InstanceAuditAction (protocol). */
  action: string;
  /** 'user' | 'message' | 'report' | 'appeal' | 'settings'. */
  target_type: string | null;
  target_id: Snowflake | null;
  reason: string | null;
  /** JSON object. */
  details: string | null;
  created_at: number;
}

/** A report about a message or a person (features/reports), from a person or the classifier. */
export interface ReportsTable {
  id: Snowflake;
  /** Null: the classifier reported it (features/safety). */
  reporter_id: Snowflake | null;
  /** ReportCategory (protocol). */
  category: string;
  /** The reported person. */
  user_id: Snowflake | null;
  message_id: Snowflake | null;
  channel_id: Snowflake | null;
  /** Null for DMs and user reports: instance admins only. */
  guild_id: Snowflake | null;
  note: string | null;
  /** The message's text when reported. */
  content: string | null;
  /** JSON SafetyScores. */
  scores: string | null;
  /** ReportStatus (protocol). */
  status: Generated<string>;
  resolved_by: Snowflake | null;
  resolution: string | null;
  resolution_reason: string | null;
  resolved_at: number | null;
  created_at: number;
}

/** A message held from minors until an admin releases it (features/safety). */
export interface SafetyHoldsTable {
  message_id: Snowflake;
  channel_id: Snowflake;
  report_id: Snowflake;
  created_at: number;
  released_at: number | null;
  released_by_id: Snowflake | null;
}

/** A sender blocked from a person (DM) or room by the classifier until review (features/safety). */
export interface SafetyBlocksTable {
  id: Snowflake;
  user_id: Snowflake;
  channel_id: Snowflake;
  target_user_id: Snowflake | null;
  guild_id: Snowflake | null;
  message_id: Snowflake;
  report_id: Snowflake;
  /** JSON SafetyLabel[]. */
  labels: string;
  /** JSON SafetyScores. */
  scores: string;
  created_at: number;
  confirmed_by_id: Snowflake | null;
  confirmed_at: number | null;
  lifted_at: number | null;
  lifted_by_id: Snowflake | null;
}
export type SafetyBlockRow = Selectable<SafetyBlocksTable>;

/** A blocked person's appeal, one per block, and its decision (features/safety). */
export interface SafetyAppealsTable {
  id: Snowflake;
  block_id: Snowflake;
  user_id: Snowflake;
  text: string;
  /** SafetyAppealStatus (protocol). */
  status: Generated<string>;
  note: string | null;
  decided_by_id: Snowflake | null;
  created_at: number;
  decided_at: number | null;
}
export type SafetyAppealRow = Selectable<SafetyAppealsTable>;

/** Something that happened to an account's security (features/security-events). */
export interface SecurityEventsTable {
  id: Snowflake;
  user_id: Snowflake;
  /** SecurityEventKind (protocol). */
  kind: string;
  /** "Firefox on Linux", from the User-Agent. */
  client: string;
  ip: string | null;
  created_at: number;
}

export interface SessionsTable {
  id: Snowflake;
  user_id: Snowflake;
  /** SHA-256 of the token, hex: a stolen database does not yield usable tokens. */
  token_hash: string;
  client: string;
  ip: string | null;
  created_at: number;
  last_used_at: number;
}

export interface RegistrationInvitesTable {
  code: string;
  created_by_id: Snowflake | null;
  uses: Generated<number>;
  max_uses: number;
  expires_at: number | null;
  created_at: number;
}

export interface InstanceSettingsTable {
  key: string;
  /** JSON. */
  value: string;
}

export interface InstanceSecretsTable {
  name: string;
  /** base64url of random bytes (or of a private key: "vapid_private_key"). */
  value: string;
  created_at: number;
}

export interface GuildsTable {
  id: Snowflake;
  name: string;
  icon: string | null;
  description: string | null;
  owner_id: Snowflake;
  system_channel_id: Snowflake | null;
  /** 1: moderation needs 2FA (Discord's mfa_level). */
  mfa_level: Generated<number>;
  created_at: number;
  /** Raised with every change to the guild's roles or overwrites: access/guild-rules.ts's cache key. */
  rules_version: Generated<number>;
  /** 1: an encrypted server (every text channel end-to-end encrypted), for good. */
  e2ee: Generated<number>;
}

export interface RolesTable {
  id: Snowflake;
  guild_id: Snowflake;
  name: string;
  /** Permission bits as a decimal string. */
  permissions: string;
  position: Generated<number>;
  color: Generated<number>;
  hoist: Generated<Flag>;
  mentionable: Generated<Flag>;
  managed: Generated<Flag>;
}

export interface MembersTable {
  guild_id: Snowflake;
  user_id: Snowflake;
  nick: string | null;
  joined_at: number;
  /** Timed out until (epoch ms): may read, not talk. Null or past: no timeout. */
  communication_disabled_until: Generated<number | null>;
  /** Server mute and deafen, set by moderators. */
  mute: Generated<Flag>;
  deaf: Generated<Flag>;
}

export interface MemberRolesTable {
  guild_id: Snowflake;
  user_id: Snowflake;
  role_id: Snowflake;
}

export interface ChannelsTable {
  id: Snowflake;
  type: number;
  guild_id: Snowflake | null;
  name: string | null;
  topic: string | null;
  position: Generated<number>;
  parent_id: Snowflake | null;
  private: Generated<Flag>;
  owner_id: Snowflake | null;
  icon: string | null;
  last_message_id: Snowflake | null;
  last_pin_at: number | null;
  rate_limit_per_user: Generated<number>;
  bitrate: number | null;
  user_limit: number | null;
  archived: Generated<Flag>;
  auto_archive_duration: number | null;
  message_count: Generated<number>;
  dm_key: string | null;
  created_at: number;
  /** End-to-end encrypted, for good (features/e2ee). */
  e2ee: Generated<Flag>;
  /** The epoch the conversation's next MLS commit must name. */
  mls_epoch: Generated<number>;
}

/** DMs: accepted; request (first DM from a stranger, unanswered); hidden (closed: reopens on a new message); declined (request refused: stays silent). */
export type ChannelMemberState = 'accepted' | 'request' | 'hidden' | 'declined';

export interface ChannelMembersTable {
  channel_id: Snowflake;
  user_id: Snowflake;
  state: Generated<ChannelMemberState>;
  joined_at: number;
}

export interface MessagesTable {
  id: Snowflake;
  channel_id: Snowflake;
  guild_id: Snowflake | null;
  author_id: Snowflake;
  content: string;
  type: Generated<number>;
  flags: Generated<number>;
  reference_message_id: Snowflake | null;
  reference_channel_id: Snowflake | null;
  mention_everyone: Generated<Flag>;
  /** JSON array of role IDs. */
  mention_roles: Generated<string>;
  pinned_at: number | null;
  edited_at: number | null;
  has_attachments: Generated<Flag>;
  has_images: Generated<Flag>;
  /** End-to-end encrypted: the envelope as JSON (protocol EncryptedEnvelope); content is ''. */
  encrypted: string | null;
  /** Posted by this webhook (features/webhooks), under `author_name`. */
  webhook_id: Generated<Snowflake | null>;
  author_name: Generated<string | null>;
  /** Its embeds as JSON (protocol Embed[]); null when it has none. */
  embeds: Generated<string | null>;
  /** A file offered peer to peer, as JSON (protocol FileOffer); null for other messages. */
  file_offer: Generated<string | null>;
}

export interface WebhooksTable {
  /** Also the ID of the bot user its messages are authored by. */
  id: Snowflake;
  guild_id: Snowflake;
  channel_id: Snowflake;
  creator_id: Snowflake;
  name: string;
  /** SHA-256 (hex) of its token: the token itself is shown once. */
  token_hash: string;
  created_at: number;
}

export interface EmojisTable {
  id: Snowflake;
  guild_id: Snowflake;
  name: string;
  /** The image's hash: files/emojis/{id}/{image}.webp ("a_" first when animated). */
  image: string;
  animated: Flag;
  creator_id: Snowflake;
  created_at: number;
}

/** A browser's Web Push subscription, one per sign-in session (features/push). */
export interface PushSubscriptionsTable {
  id: Snowflake;
  user_id: Snowflake;
  session_id: Snowflake;
  endpoint: string;
  p256dh: string;
  auth: string;
  previews: Flag;
  created_at: number;
}

export interface LinkPreviewsTable {
  /** SHA-256 (hex) of the link. */
  url_hash: string;
  /** The preview (protocol Embed) as JSON; null: none (no page, or nothing to show). */
  embed: string | null;
  fetched_at: number;
}

export interface MessageMentionsTable {
  message_id: Snowflake;
  user_id: Snowflake;
  channel_id: Snowflake;
}

export interface ReactionsTable {
  message_id: Snowflake;
  emoji: string;
  user_id: Snowflake;
  created_at: number;
}

export interface AttachmentsTable {
  id: Snowflake;
  message_id: Snowflake;
  channel_id: Snowflake;
  filename: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  has_thumbnail: Generated<Flag>;
}

export interface ReadStatesTable {
  user_id: Snowflake;
  channel_id: Snowflake;
  last_message_id: Snowflake;
}

export interface InvitesTable {
  code: string;
  guild_id: Snowflake;
  channel_id: Snowflake;
  inviter_id: Snowflake | null;
  uses: Generated<number>;
  max_uses: number;
  max_age: number;
  temporary: Generated<Flag>;
  expires_at: number | null;
  created_at: number;
}

export interface RelationshipsTable {
  user_id: Snowflake;
  other_id: Snowflake;
  type: number;
  created_at: number;
}

export interface ApplicationsTable {
  id: Snowflake;
  name: string;
  description: Generated<string>;
  owner_id: Snowflake;
  bot_user_id: Snowflake | null;
  bot_token_hash: string | null;
  created_at: number;
}

export interface GuildNotificationSettingsTable {
  user_id: Snowflake;
  guild_id: Snowflake;
  message_notifications: number;
  muted: Flag;
}

export interface ChannelNotificationSettingsTable {
  user_id: Snowflake;
  channel_id: Snowflake;
  guild_id: Snowflake;
  message_notifications: number;
  muted: Flag;
}

export interface CallsTable {
  channel_id: Snowflake;
  guild_id: Snowflake | null;
  message_id: Snowflake | null;
  /** JSON array of user IDs. */
  ringing: Generated<string>;
  ring_expires_at: number | null;
  started_at: number;
  /** How its media flows (protocol CallMedia): peer to peer, or through the SFU. */
  media: Generated<'mesh' | 'sfu'>;
}

export interface VoiceStatesTable {
  user_id: Snowflake;
  channel_id: Snowflake;
  guild_id: Snowflake | null;
  session_id: string;
  self_mute: Flag;
  self_deaf: Flag;
  self_video: Flag;
  self_stream: Flag;
  /** No Speak permission in this channel, or in a stage's audience: nobody plays their audio. */
  suppress: Flag;
  /** Stage channels: in the audience (a moderator's or their own choice); suppress follows. */
  stage_suppress: Flag;
  /** Stage channels: when they raised their hand; null when it is down. */
  request_to_speak_at: number | null;
  public_key: string | null;
  joined_at: number;
  seen_at: number;
}

export interface MessageCallsTable {
  message_id: Snowflake;
  /** JSON array of user IDs. */
  participants: Generated<string>;
  ended_at: number | null;
}

/** A recent send's nonce (enforce_nonce): a retry with the same one gets this message back. */
export interface MessageNoncesTable {
  author_id: Snowflake;
  channel_id: Snowflake;
  nonce: string;
  message_id: Snowflake;
  created_at: number;
}

/** Somewhere an account signed in from successfully: exempt from others' failed passwords. */
export interface KnownSignInSourcesTable {
  user_id: Snowflake;
  /** `ip:<address>` or `device:<SHA-256 of the device cookie>`. */
  source: string;
  last_signed_in_at: number;
}

export interface PermissionOverwritesTable {
  channel_id: Snowflake;
  /** A role's id (type 0; @everyone's is the guild's) or a user's id (type 1). */
  target_id: Snowflake;
  type: number;
  /** Permission bits as decimal strings. */
  allow: string;
  deny: string;
}

export interface BansTable {
  guild_id: Snowflake;
  user_id: Snowflake;
  reason: string | null;
  created_at: number;
}

export interface AuditLogEntriesTable {
  id: Snowflake;
  guild_id: Snowflake;
  /** Who acted. */
  user_id: Snowflake;
  target_id: Snowflake | null;
  action_type: number;
  /** JSON: [{key, old_value?, new_value?}]. */
  changes: string | null;
  /** JSON: Discord's optional entry info. */
  options: string | null;
  reason: string | null;
}

export type PasskeyRow = Selectable<PasskeysTable>;

export interface TotpSecretsTable {
  user_id: Snowflake;
  /** base32 */
  secret: string;
  last_step: number;
  created_at: number;
}

export interface RecoveryCodesTable {
  user_id: Snowflake;
  /** SHA-256 of the normalised code. */
  code_hash: string;
}

export interface MfaTicketsTable {
  /** SHA-256 of the ticket. */
  ticket_hash: string;
  user_id: Snowflake;
  challenge: string | null;
  failures: Generated<number>;
  expires_at: number;
}

export interface PasskeysTable {
  id: Snowflake;
  user_id: Snowflake;
  credential_id: string;
  public_key: string;
  counter: number;
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface WebAuthnChallengesTable {
  challenge: string;
  purpose: 'register' | 'sign-in';
  user_id: Snowflake | null;
  expires_at: number;
}
/** A provider account (OIDC `sub` at one of OIDC_PROVIDERS) that signs in to a Parley account. */
export interface UserIdentitiesTable {
  id: Snowflake;
  user_id: Snowflake;
  provider: string;
  subject: string;
  email: string | null;
  created_at: number;
}
export type UserIdentityRow = Selectable<UserIdentitiesTable>;

export type SsoTicketKind = 'start_link' | 'sign_in' | 'sign_up' | 'link';

/** One step of a single sign-on in progress (features/sso/tickets.ts); the ticket itself is only hashed here. */
export interface SsoTicketsTable {
  token_hash: string;
  kind: SsoTicketKind;
  provider: string;
  subject: string | null;
  email: string | null;
  email_verified: Flag;
  username: string | null;
  global_name: string | null;
  user_id: Snowflake | null;
  expires_at: number;
}
export type SsoTicketRow = Selectable<SsoTicketsTable>;

/** A resumable upload (features/uploads): its bytes are under attachments/{channel_id}/{id}/. */
export interface UploadsTable {
  id: Snowflake;
  user_id: Snowflake;
  channel_id: Snowflake;
  filename: string;
  content_type: string;
  /** The declared size (tus Upload-Length). */
  upload_length: number;
  /** The bytes stored so far (tus Upload-Offset). */
  received: number;
  /** In an end-to-end encrypted conversation: ciphertext, never inspected. */
  sealed: Flag;
  width: number | null;
  height: number | null;
  has_thumbnail: Flag;
  created_at: number;
  /** Unfinished or unsent uploads are deleted after this; moved on by every PATCH. */
  expires_at: number;
  completed_at: number | null;
  /** The message it was sent with (the attachment has the upload's ID). */
  message_id: Snowflake | null;
}

/** A call that ended (features/calls), for the instance statistics. */
export interface CallHistoryTable {
  id: Snowflake;
  channel_id: Snowflake;
  guild_id: Snowflake | null;
  started_at: number;
  ended_at: number;
}

/** One person's time in one call, written when they leave it (features/calls), for the statistics. */
export interface CallParticipationTable {
  id: Snowflake;
  user_id: Snowflake;
  channel_id: Snowflake;
  joined_at: number;
  left_at: number;
}

/** A server node's count of gateway connections, as it last reported it (features/admin/nodes.ts). */
export interface GatewayNodesTable {
  id: string;
  connections: number;
  seen_at: number;
}

/** A UTC day (days since the epoch) on which an account used Parley (auth/sessions.ts), for the statistics. */
export interface UserActivityTable {
  user_id: Snowflake;
  day: number;
}
