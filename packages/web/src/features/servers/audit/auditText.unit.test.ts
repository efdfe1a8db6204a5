import { AuditLogEvent, type AuditLogEntry, Permissions, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, type AuditNames, describeAuditEntry } from './auditText';

const people: Record<string, string> = { '1': 'Ada', '2': 'Bob' };
const names: AuditNames = {
  user: (id) => people[id] ?? null,
  role: (id) => (id === '50' ? 'Moderators' : null),
  channel: (id) => (id === '70' ? 'general' : null),
};
const entry = (action_type: number, over: Partial<AuditLogEntry> = {}): AuditLogEntry => ({ id: '9' as Snowflake, user_id: '1' as Snowflake, target_id: '2', action_type, ...over });

describe('describeAuditEntry', () => {
  it('says who did what to whom', () => {
    expect(describeAuditEntry(entry(AuditLogEvent.MEMBER_BAN_ADD, { reason: 'spam' }), names).text).toBe('Ada banned Bob');
    expect(describeAuditEntry(entry(AuditLogEvent.MEMBER_BAN_REMOVE), names).text).toBe('Ada unbanned Bob');
    expect(describeAuditEntry(entry(AuditLogEvent.MEMBER_KICK), names).text).toBe('Ada kicked Bob');
    expect(describeAuditEntry(entry(AuditLogEvent.MEMBER_KICK, { target_id: '3', user_id: null }), names).text).toBe('Someone kicked a former member');
  });

  it('tells a timeout from its removal', () => {
    const until = '2026-01-01T10:00:00.000Z';
    const on = describeAuditEntry(entry(AuditLogEvent.MEMBER_UPDATE, { changes: [{ key: 'communication_disabled_until', old_value: null, new_value: until }] }), names);
    expect(on.text).toBe(`Ada timed out Bob until ${new Date(until).toLocaleString()}`);
    const off = describeAuditEntry(entry(AuditLogEvent.MEMBER_UPDATE, { changes: [{ key: 'communication_disabled_until', old_value: until, new_value: null }] }), names);
    expect(off.text).toBe('Ada removed the timeout of Bob');
    const nick = describeAuditEntry(entry(AuditLogEvent.MEMBER_UPDATE, { changes: [{ key: 'nick', old_value: null, new_value: 'B' }] }), names);
    expect(nick).toEqual({ text: 'Ada updated Bob', details: ['Nickname: none → B'] });
  });

  it('names the roles given and taken', () => {
    const e = entry(AuditLogEvent.MEMBER_ROLE_UPDATE, {
      changes: [
        {
          key: '$add',
          new_value: [
            { id: '50', name: 'Moderators' },
            { id: '51', name: 'Helpers' },
          ],
        },
        { key: '$remove', new_value: [{ id: '52', name: 'New' }] },
      ],
    });
    expect(describeAuditEntry(e, names).text).toBe('Ada gave Bob Moderators and Helpers and took New from Bob');
  });

  it('lists what a role update changed, permissions by name', () => {
    const e = entry(AuditLogEvent.ROLE_UPDATE, {
      target_id: '50',
      changes: [
        { key: 'color', old_value: 0, new_value: 0x3498db },
        { key: 'hoist', old_value: false, new_value: true },
        { key: 'permissions', old_value: String(Permissions.SEND_MESSAGES), new_value: String(Permissions.KICK_MEMBERS | Permissions.BAN_MEMBERS) },
      ],
    });
    expect(describeAuditEntry(e, names)).toEqual({
      text: 'Ada updated the role Moderators',
      details: ['Color: default → #3498db', 'Display separately: no → yes', 'Permissions: added Kick members, Ban members; removed Send messages'],
    });
  });

  it('names webhooks and the channel they post in', () => {
    const made = entry(AuditLogEvent.WEBHOOK_CREATE, {
      target_id: '90',
      changes: [
        { key: 'name', new_value: 'CI' },
        { key: 'channel_id', new_value: '70' },
      ],
    });
    expect(describeAuditEntry(made, names)).toEqual({ text: 'Ada created the webhook CI in #general', details: [] });
    const renamed = entry(AuditLogEvent.WEBHOOK_UPDATE, { target_id: '90', changes: [{ key: 'name', old_value: 'CI', new_value: 'Builds' }] });
    expect(describeAuditEntry(renamed, names)).toEqual({ text: 'Ada updated the webhook CI', details: ['Name: CI → Builds'] });
    expect(describeAuditEntry(entry(AuditLogEvent.WEBHOOK_DELETE, { target_id: '90', changes: [{ key: 'name', old_value: 'Builds' }] }), names).text).toBe('Ada deleted the webhook Builds');
  });

  it('names deleted roles and channels from the recorded values', () => {
    expect(describeAuditEntry(entry(AuditLogEvent.ROLE_DELETE, { target_id: '60', changes: [{ key: 'name', old_value: 'Old' }] }), names).text).toBe('Ada deleted the role Old');
    expect(describeAuditEntry(entry(AuditLogEvent.CHANNEL_CREATE, { target_id: '70' }), names).text).toBe('Ada created the channel #general');
    expect(describeAuditEntry(entry(AuditLogEvent.MESSAGE_BULK_DELETE, { target_id: '70', options: { channel_id: '70' as Snowflake, count: '5' } }), names).text).toBe(
      'Ada deleted 5 messages in #general',
    );
  });

  it('has a filter entry for every action Parley records', () => {
    expect(AUDIT_ACTIONS.map((a) => a.value).sort((a, b) => a - b)).toEqual(Object.values(AuditLogEvent).sort((a, b) => a - b));
  });
});
