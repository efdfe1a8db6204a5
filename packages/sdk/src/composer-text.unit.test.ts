import { describe, expect, it } from 'vitest';
import { type MentionDirectory, applyCompletion, decodeMentions, encodeMentions, expandShortcode, findTrigger, rankCandidates, splitCode } from './composer-text';

const at = (text: string) => findTrigger(text, text.length);

describe('autocomplete triggers', () => {
  it('opens on @, # and : after a space or at the start', () => {
    expect(at('@')).toEqual({ kind: '@', query: '', start: 0, end: 1 });
    expect(at('hi @gr')).toEqual({ kind: '@', query: 'gr', start: 3, end: 6 });
    expect(at('see (#gen')).toEqual({ kind: '#', query: 'gen', start: 5, end: 9 });
    expect(at('nice :sm')).toEqual({ kind: ':', query: 'sm', start: 5, end: 8 });
    expect(at('@zoë.b')).toMatchObject({ kind: '@', query: 'zoë.b' });
  });

  it('stays closed inside words, after a space, for times and short shortcodes, and in code', () => {
    expect(at('mail me@example')).toBeNull();
    expect(at('@grace ')).toBeNull();
    expect(at('C#')).toBeNull();
    expect(at('at 10:30')).toBeNull();
    expect(at('ok :s')).toBeNull();
    expect(at('run `@gr')).toBeNull();
    expect(at('```\n@gr')).toBeNull();
    expect(at('`code` @gr')).toMatchObject({ kind: '@', query: 'gr' });
    expect(at('```\nx\n``` @gr')).toMatchObject({ kind: '@', query: 'gr' });
  });

  it('looks only at the text before the caret', () => {
    expect(findTrigger('@gr and more', 3)).toMatchObject({ kind: '@', query: 'gr' });
  });
});

describe('completion', () => {
  it('replaces the trigger and adds one space', () => {
    expect(applyCompletion('hi @gr', { start: 3, end: 6 }, '@grace')).toEqual({ text: 'hi @grace ', caret: 10 });
    // A space already there is reused, not doubled.
    expect(applyCompletion('hi @gr there', { start: 3, end: 6 }, '@grace')).toEqual({ text: 'hi @grace there', caret: 10 });
  });

  // The web client's table has every emoji; these three are enough here.
  const table = { byName: (name: string) => ({ smile: '😄', '+1': '👍', heart: '❤️' })[name] };
  it('expands a known shortcode when its closing colon is typed', () => {
    expect(expandShortcode('so :smile:', 10, table.byName)).toEqual({ text: 'so 😄', caret: 5 });
    expect(expandShortcode(':+1: yes', 4, table.byName)).toEqual({ text: '👍 yes', caret: 2 });
    expect(expandShortcode(':Heart:', 7, table.byName)?.text).toBe('❤️');
  });

  it('leaves unknown names, times and code alone', () => {
    expect(expandShortcode(':nope_not_one:', 14, table.byName)).toBeNull();
    expect(expandShortcode('at 10:30:', 9, table.byName)).toBeNull();
    expect(expandShortcode('`:smile:', 8, table.byName)).toBeNull();
    expect(expandShortcode('a:smile:', 8, table.byName)).toBeNull();
  });
});

const directory: MentionDirectory = {
  userIdByUsername: (name) => ({ grace: '11', 'ada.l': '12' })[name] ?? null,
  usernameById: (id) => ({ '11': 'grace', '12': 'ada.l' })[id] ?? null,
  channelIdByName: (name) => ({ general: '21', 'off-topic': '22' })[name] ?? null,
  channelNameById: (id) => ({ '21': 'general', '22': 'off-topic', '23': 'general' })[id] ?? null,
  roleIdByName: (name) => ({ mods: '31', grace: '32' })[name.toLowerCase()] ?? null,
  roleNameById: (id) => ({ '31': 'Mods', '32': 'grace', '33': 'Team Leads' })[id] ?? null,
};

describe('mentions in the text sent', () => {
  it('turns known @usernames and #channels into IDs, case-insensitively', () => {
    expect(encodeMentions('@Grace, see #general and #off-topic.', directory)).toBe('<@11>, see <#21> and <#22>.');
    expect(encodeMentions('thanks @ada.l.', directory)).toBe('thanks <@12>.');
  });

  it('leaves unknown names, e-mail addresses, @everyone and code alone', () => {
    expect(encodeMentions('@nobody mail grace@grace.org @everyone', directory)).toBe('@nobody mail grace@grace.org @everyone');
    expect(encodeMentions('`@grace` and\n```\n#general\n```\n@grace', directory)).toBe('`@grace` and\n```\n#general\n```\n<@11>');
    expect(encodeMentions('C#general', directory)).toBe('C#general');
  });

  it('turns @role into a role mention, a username winning over a role of the same name', () => {
    expect(encodeMentions('ping @Mods. and @grace', directory)).toBe('ping <@&31>. and <@11>');
    expect(decodeMentions('<@&31> <@&33>', directory)).toBe('@Mods <@&33>');
  });

  it('puts names back for editing, except a channel whose name is ambiguous', () => {
    expect(decodeMentions('<@11> <@!12> in <#21>, <#23> and <@99>', directory)).toBe('@grace @ada.l in #general, <#23> and <@99>');
  });

  it('splits code from the rest', () => {
    expect(splitCode('a `b` c ```d``` e')).toEqual([
      { text: 'a ', code: false },
      { text: '`b`', code: true },
      { text: ' c ', code: false },
      { text: '```d```', code: true },
      { text: ' e', code: false },
    ]);
  });
});

describe('ranking people', () => {
  const people = [
    { id: '1', username: 'grace', name: 'Grace Hopper' },
    { id: '2', username: 'hopper_fan', name: 'Zoë' },
    { id: '3', username: 'ada', name: 'Ada Lovelace' },
    { id: '4', username: 'bob', name: 'Greta' },
  ];
  it('puts username and name prefixes before word prefixes before the rest', () => {
    expect(rankCandidates(people, 'gr').map((p) => p.id)).toEqual(['1', '4']);
    expect(rankCandidates(people, 'hop').map((p) => p.id)).toEqual(['2', '1']);
    expect(rankCandidates(people, 'zoe').map((p) => p.id)).toEqual(['2']);
    expect(rankCandidates(people, 'love').map((p) => p.id)).toEqual(['3']);
    expect(rankCandidates(people, 'x')).toEqual([]);
    expect(rankCandidates(people, '', 2)).toHaveLength(2);
  });
});
