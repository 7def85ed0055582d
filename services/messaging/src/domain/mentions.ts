/** Mentions written in a message's text, recorded for notifications and mention counts. */
const USER_MENTION = /(?<![A-Za-z0-9._-])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})/g;
const CHANNEL_WORDS = new Set(['channel', 'here', 'everyone']);
const MAX_USER_MENTIONS = 50;

export interface Mentions {
  users: string[];
  channel: boolean;
}

export function parseMentions(text: string): Mentions {
  const users = new Set<string>();
  let channel = false;
  for (const match of text.matchAll(USER_MENTION)) {
    const name = (match[1] ?? '').replace(/[.]+$/, '');
    if (!name) continue;
    if (CHANNEL_WORDS.has(name)) channel = true;
    else if (users.size < MAX_USER_MENTIONS) users.add(name);
  }
  return { users: [...users], channel };
}
