import { Snowflake } from '@parley/protocol';

export interface Mentions {
  users: Snowflake[];
  roles: Snowflake[];
  /** @everyone or @here, where the author may use them. */
  everyone: boolean;
}

/** Code is quoted, not addressed: mentions inside `inline` or fenced code do not count. */
function withoutCode(content: string): string {
  return content.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
}

/** The mentions written in a message: <@id> / <@!id> users, <@&id> roles, @everyone and @here. */
export function parseMentions(content: string): Mentions {
  const text = withoutCode(content);
  // An ID past a signed 64-bit integer names no row (and PostgreSQL would refuse to compare it).
  const unique = (pattern: RegExp) => [...new Set([...text.matchAll(pattern)].map((m) => m[1]!))].filter((id): id is Snowflake => Snowflake.safeParse(id).success);
  return {
    users: unique(/<@!?(\d{1,20})>/g),
    roles: unique(/<@&(\d{1,20})>/g),
    everyone: /@(everyone|here)\b/.test(text),
  };
}

export interface AllowedMentions {
  parse?: ('users' | 'roles' | 'everyone')[] | undefined;
  users?: Snowflake[] | undefined;
  roles?: Snowflake[] | undefined;
  replied_user?: boolean | undefined;
}

/**
 * Applies Discord's allowed_mentions rules: without them, everything written counts (and a
 * reply pings its target); with them, only what they allow. @everyone/@here also need the
 * Mention Everyone permission.
 */
export function resolveMentions(written: Mentions, allowed: AllowedMentions | undefined, options: { canMentionEveryone: boolean; repliedUserId: Snowflake | null }): Mentions {
  const parse = allowed?.parse;
  const pick = (kind: 'users' | 'roles', ids: Snowflake[], list: Snowflake[] | undefined) => (!allowed || parse?.includes(kind) ? ids : ids.filter((id) => list?.includes(id)));
  const users = pick('users', written.users, allowed?.users);
  const pingReplied = allowed ? allowed.replied_user === true : true;
  if (options.repliedUserId && pingReplied && !users.includes(options.repliedUserId)) users.push(options.repliedUserId);
  return {
    users,
    roles: pick('roles', written.roles, allowed?.roles),
    everyone: written.everyone && options.canMentionEveryone && (!allowed || parse?.includes('everyone') === true),
  };
}
