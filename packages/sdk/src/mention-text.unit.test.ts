import { describe, expect, it } from 'vitest';
import { mentionsAsText } from './mention-text';

describe('a message as one line of plain text', () => {
  const names = { user: (id: string) => (id === '3' ? 'Ada' : null), channel: () => 'general', role: () => 'mods' };
  it('shows mentions as names, on one line, shortened', () => {
    expect(mentionsAsText('hi <@3>, see <#9>\n<@&77> <@!8>', names, 100)).toBe('hi @Ada, see #general @mods @someone');
    expect(mentionsAsText('x'.repeat(300), names, 50)).toHaveLength(50);
  });
  it('shows custom emoji by name (the terminal and notifications draw no images)', () => {
    expect(mentionsAsText('party <:tada:123456789012345678> and <a:wave:223456789012345678>', names, 100)).toBe('party :tada: and :wave:');
  });
});
