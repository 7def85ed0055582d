/**
 * The open conversation's members, folded under "Members (n)": each by display name, or by id
 * when none is known. When the gateway could not read the names (auth not answering), a notice
 * says that people are shown by their ids for now; the conversation itself works on.
 */
import type { People } from './people.ts';

export function MemberList(props: { people: People; me: string }) {
  const { people } = props;
  return (
    <>
      {people.namesUnavailable && (
        <p class="notice" role="status">
          Names cannot be read right now, so people are shown by their user ids. Messages still send and
          arrive.
        </p>
      )}
      {people.failed && (
        <p class="notice" role="status">
          The members of this conversation cannot be read right now.
        </p>
      )}
      {people.memberIds.length > 0 && (
        <details class="members">
          <summary>Members ({people.memberIds.length})</summary>
          <ul aria-label="Members">
            {people.memberIds.map((id) => (
              <li key={id} data-user={id}>
                {people.nameOf(id)}
                {id === props.me ? ' (you)' : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
