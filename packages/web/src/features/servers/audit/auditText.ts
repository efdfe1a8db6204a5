import { AuditLogEvent, type AuditLogChange, type AuditLogEntry } from '@parley/protocol';
import { permissionNames } from '../../developer/permissionNames';

/** How to name the people, roles and channels an entry mentions (null: not known any more). */
export interface AuditNames {
  user(id: string): string | null;
  role(id: string): string | null;
  channel(id: string): string | null;
}

/** An entry in words: the sentence, then one line per changed field. */
export interface AuditDescription {
  text: string;
  details: string[];
}

/** The action filter of the audit log, in the order a moderator looks for them. */
export const AUDIT_ACTIONS: readonly { value: number; label: string }[] = [
  { value: AuditLogEvent.MEMBER_BAN_ADD, label: 'Bans' },
  { value: AuditLogEvent.MEMBER_BAN_REMOVE, label: 'Unbans' },
  { value: AuditLogEvent.MEMBER_KICK, label: 'Kicks' },
  { value: AuditLogEvent.MEMBER_UPDATE, label: 'Member updates (timeouts, nicknames, server mute)' },
  { value: AuditLogEvent.MEMBER_ROLE_UPDATE, label: 'Member roles' },
  { value: AuditLogEvent.MEMBER_MOVE, label: 'Moves in calls' },
  { value: AuditLogEvent.MEMBER_DISCONNECT, label: 'Disconnects from calls' },
  { value: AuditLogEvent.ROLE_CREATE, label: 'Roles created' },
  { value: AuditLogEvent.ROLE_UPDATE, label: 'Roles updated' },
  { value: AuditLogEvent.ROLE_DELETE, label: 'Roles deleted' },
  { value: AuditLogEvent.CHANNEL_CREATE, label: 'Channels created' },
  { value: AuditLogEvent.CHANNEL_UPDATE, label: 'Channels updated' },
  { value: AuditLogEvent.CHANNEL_DELETE, label: 'Channels deleted' },
  { value: AuditLogEvent.CHANNEL_OVERWRITE_CREATE, label: 'Channel permissions added' },
  { value: AuditLogEvent.CHANNEL_OVERWRITE_UPDATE, label: 'Channel permissions changed' },
  { value: AuditLogEvent.CHANNEL_OVERWRITE_DELETE, label: 'Channel permissions removed' },
  { value: AuditLogEvent.MESSAGE_DELETE, label: 'Messages deleted' },
  { value: AuditLogEvent.MESSAGE_BULK_DELETE, label: 'Messages bulk deleted' },
  { value: AuditLogEvent.MESSAGE_PIN, label: 'Messages pinned' },
  { value: AuditLogEvent.MESSAGE_UNPIN, label: 'Messages unpinned' },
  { value: AuditLogEvent.WEBHOOK_CREATE, label: 'Webhooks created' },
  { value: AuditLogEvent.WEBHOOK_UPDATE, label: 'Webhooks updated' },
  { value: AuditLogEvent.WEBHOOK_DELETE, label: 'Webhooks deleted' },
  { value: AuditLogEvent.GUILD_UPDATE, label: 'Server updated' },
];

const FIELD_NAMES: Record<string, string> = {
  name: 'Name',
  color: 'Color',
  hoist: 'Display separately',
  mentionable: 'Mentionable',
  permissions: 'Permissions',
  nick: 'Nickname',
  mute: 'Server muted',
  deaf: 'Server deafened',
  communication_disabled_until: 'Timed out until',
  topic: 'Topic',
  icon: 'Icon',
  rate_limit_per_user: 'Slow mode (seconds)',
  position: 'Position',
  parent_id: 'Category',
  type: 'Type',
  private: 'Private',
  description: 'Description',
  system_channel_id: 'System channel',
  allow: 'Allowed',
  deny: 'Denied',
};

function show(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (key === 'color' && typeof value === 'number') return value === 0 ? 'default' : `#${value.toString(16).padStart(6, '0')}`;
  if (key === 'communication_disabled_until' && typeof value === 'string') return new Date(value).toLocaleString();
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

function bits(value: unknown): bigint {
  try {
    return typeof value === 'string' || typeof value === 'number' ? BigInt(value) : 0n;
  } catch {
    return 0n;
  }
}

/** One changed field in words; permission sets list what was granted and what was taken. */
function describeChange(change: AuditLogChange): string | null {
  if (change.key.startsWith('$')) return null;
  const field = FIELD_NAMES[change.key] ?? change.key.replace(/_/g, ' ');
  if (change.key === 'permissions' || change.key === 'allow' || change.key === 'deny') {
    const before = bits(change.old_value);
    const after = bits(change.new_value);
    const granted = permissionNames(after & ~before);
    const removed = permissionNames(before & ~after);
    const parts = [granted.length ? `added ${granted.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean);
    return `${field}: ${parts.join('; ') || 'none'}`;
  }
  if (!('old_value' in change) || change.old_value === undefined) return `${field}: ${show(change.key, change.new_value)}`;
  if (!('new_value' in change) || change.new_value === undefined) return `${field} was ${show(change.key, change.old_value)}`;
  return `${field}: ${show(change.key, change.old_value)} → ${show(change.key, change.new_value)}`;
}

function changed(entry: AuditLogEntry, key: string): AuditLogChange | undefined {
  return entry.changes?.find((c) => c.key === key);
}

function roleNamesOf(change: AuditLogChange | undefined): string[] {
  return Array.isArray(change?.new_value) ? (change.new_value as { name?: unknown }[]).map((r) => String(r.name ?? 'a role')) : [];
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * An audit log entry as a sentence: who did what to whom ("Ada banned Bob"), with the fields it
 * changed as details. The reason is the entry's own (`entry.reason`), shown after it.
 */
export function describeAuditEntry(entry: AuditLogEntry, names: AuditNames): AuditDescription {
  const actor = (entry.user_id && names.user(entry.user_id)) ?? 'Someone';
  const target = entry.target_id ?? '';
  const user = names.user(target) ?? 'a former member';
  const nameFromChanges = String(changed(entry, 'name')?.new_value ?? changed(entry, 'name')?.old_value ?? '');
  const role = names.role(target) ?? (nameFromChanges || 'a deleted role');
  const channelId = entry.options?.channel_id ?? target;
  const channel = `#${names.channel(channelId) ?? (nameFromChanges || 'deleted-channel')}`;
  const details = (entry.changes ?? []).map(describeChange).filter((d): d is string => d !== null);
  const sentence = (what: string, withDetails = true): AuditDescription => ({ text: `${actor} ${what}`, details: withDetails ? details : [] });

  switch (entry.action_type) {
    case AuditLogEvent.GUILD_UPDATE:
      return sentence('updated the server');
    case AuditLogEvent.CHANNEL_CREATE:
      return sentence(`created the channel ${channel}`, false);
    case AuditLogEvent.CHANNEL_UPDATE:
      return sentence(`updated the channel ${channel}`);
    case AuditLogEvent.CHANNEL_DELETE:
      return sentence(`deleted the channel ${channel}`, false);
    case AuditLogEvent.CHANNEL_OVERWRITE_CREATE:
    case AuditLogEvent.CHANNEL_OVERWRITE_UPDATE:
    case AuditLogEvent.CHANNEL_OVERWRITE_DELETE: {
      const forId = entry.options?.id ?? '';
      const who = entry.options?.type === '1' ? (names.user(forId) ?? 'a former member') : `@${names.role(forId) ?? entry.options?.role_name ?? 'a deleted role'}`;
      const verb =
        entry.action_type === AuditLogEvent.CHANNEL_OVERWRITE_DELETE
          ? 'removed the permissions'
          : entry.action_type === AuditLogEvent.CHANNEL_OVERWRITE_CREATE
            ? 'added permissions'
            : 'changed the permissions';
      return sentence(`${verb} of ${who} in ${channel}`);
    }
    case AuditLogEvent.MEMBER_KICK:
      return sentence(`kicked ${user}`);
    case AuditLogEvent.MEMBER_BAN_ADD:
      return sentence(`banned ${user}`);
    case AuditLogEvent.MEMBER_BAN_REMOVE:
      return sentence(`unbanned ${user}`);
    case AuditLogEvent.MEMBER_UPDATE: {
      const timeout = changed(entry, 'communication_disabled_until');
      const others = details.filter((d) => !d.startsWith(FIELD_NAMES.communication_disabled_until!));
      if (timeout && (entry.changes?.length ?? 0) === 1) {
        return timeout.new_value ? { text: `${actor} timed out ${user} until ${show(timeout.key, timeout.new_value)}`, details: [] } : { text: `${actor} removed the timeout of ${user}`, details: [] };
      }
      return { text: `${actor} updated ${user}`, details: timeout || others.length ? details : [] };
    }
    case AuditLogEvent.MEMBER_ROLE_UPDATE: {
      const added = roleNamesOf(changed(entry, '$add'));
      const removed = roleNamesOf(changed(entry, '$remove'));
      const parts = [added.length ? `gave ${user} ${list(added)}` : '', removed.length ? `took ${list(removed)} from ${user}` : ''].filter(Boolean);
      return sentence(parts.join(' and ') || `changed the roles of ${user}`, false);
    }
    case AuditLogEvent.MEMBER_MOVE:
      return sentence(`moved ${user} to ${channel}`, false);
    case AuditLogEvent.MEMBER_DISCONNECT:
      return sentence(`disconnected ${user} from a call`, false);
    case AuditLogEvent.ROLE_CREATE:
      return sentence(`created the role ${role}`);
    case AuditLogEvent.ROLE_UPDATE:
      return sentence(`updated the role ${role}`);
    case AuditLogEvent.ROLE_DELETE:
      return sentence(`deleted the role ${role}`, false);
    case AuditLogEvent.MESSAGE_DELETE:
      return sentence(`deleted a message by ${user} in ${channel}`, false);
    case AuditLogEvent.MESSAGE_BULK_DELETE:
      return sentence(`deleted ${entry.options?.count ?? 'several'} messages in ${channel}`, false);
    case AuditLogEvent.MESSAGE_PIN:
      return sentence(`pinned a message in ${channel}`, false);
    case AuditLogEvent.MESSAGE_UNPIN:
      return sentence(`unpinned a message in ${channel}`, false);
    case AuditLogEvent.WEBHOOK_CREATE: {
      const into = String(changed(entry, 'channel_id')?.new_value ?? '');
      const where = into ? ` in #${names.channel(into) ?? 'deleted-channel'}` : '';
      return sentence(`created the webhook ${nameFromChanges || 'a webhook'}${where}`, false);
    }
    case AuditLogEvent.WEBHOOK_UPDATE:
      return sentence(`updated the webhook ${String(changed(entry, 'name')?.old_value ?? '') || 'a webhook'}`);
    case AuditLogEvent.WEBHOOK_DELETE:
      return sentence(`deleted the webhook ${nameFromChanges || 'a webhook'}`, false);
    default:
      return sentence(`did action ${entry.action_type}`);
  }
}
