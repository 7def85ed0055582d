/** The tenant's users: roles changed in place, suspension and reactivation, all sessions ended. */
import type { paths } from '@parley/sdk';
import { useState } from 'preact/hooks';
import { describeProblem } from '../problem.ts';
import { api } from '../session.ts';
import { type Role, RoleChoices } from './role-choices.tsx';

type User =
  paths['/api/v1/admin/users']['get']['responses'][200]['content']['application/json']['users'][number];

export function UserTable(props: { users: User[]; me: string; onChanged: () => void }) {
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  const act = async (call: Promise<{ response: Response; error?: unknown }>, done: string) => {
    const { response, error: problem } = await call;
    if (!response.ok) return setError(describeProblem(problem, 'That change was refused.'));
    setError('');
    setNotice(done);
    props.onChanged();
  };
  const path = (userId: string) => ({ path: { userId } });

  return (
    <>
      <p class="error" role="alert">
        {error}
      </p>
      <p role="status">{notice}</p>
      <table class="users">
        <caption class="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Roles</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.users.map((u) => (
            <UserRow
              key={u.id}
              user={u}
              self={u.id === props.me}
              onRoles={(roles) =>
                act(
                  api.PATCH('/api/v1/admin/users/{userId}', { params: path(u.id), body: { roles } }),
                  `${u.displayName}: roles saved.`,
                )
              }
              onStatus={(status) =>
                act(
                  api.PATCH('/api/v1/admin/users/{userId}', { params: path(u.id), body: { status } }),
                  `${u.displayName} is ${status === 'suspended' ? 'suspended' : 'active again'}.`,
                )
              }
              onEndSessions={() =>
                act(
                  api.DELETE('/api/v1/admin/users/{userId}/sessions', { params: path(u.id) }),
                  `${u.displayName} is signed out everywhere.`,
                )
              }
            />
          ))}
        </tbody>
      </table>
    </>
  );
}

function UserRow(props: {
  user: User;
  self: boolean;
  onRoles: (roles: Role[]) => void;
  onStatus: (status: 'active' | 'suspended') => void;
  onEndSessions: () => void;
}) {
  const u = props.user;
  const [roles, setRoles] = useState<Role[]>(u.roles as Role[]);
  const changed = roles.slice().sort().join() !== [...u.roles].sort().join();
  return (
    <tr data-user={u.id}>
      <td>
        {u.displayName}
        {props.self && ' (you)'}
        <br />
        <span class="hint">{u.email}</span>
        {u.mfaEnabled && <span class="hint"> · two-step</span>}
      </td>
      <td>
        <RoleChoices
          idPrefix={`roles-${u.id}`}
          legend={`Roles of ${u.displayName}`}
          value={roles}
          onChange={setRoles}
        />
        {changed && (
          <button type="button" disabled={roles.length === 0} onClick={() => props.onRoles(roles)}>
            Save roles
          </button>
        )}
      </td>
      <td>{u.status}</td>
      <td class="row-actions">
        {u.status !== 'deleted' && !props.self && (
          <button
            type="button"
            onClick={() => props.onStatus(u.status === 'suspended' ? 'active' : 'suspended')}
          >
            {u.status === 'suspended' ? 'Reactivate' : 'Suspend'}
          </button>
        )}
        {!props.self && (
          <button type="button" onClick={props.onEndSessions}>
            End sessions
          </button>
        )}
      </td>
    </tr>
  );
}
