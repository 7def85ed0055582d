/** The three roles as checkboxes in a fieldset (at least one stays chosen). */
export const ROLES = ['member', 'admin', 'compliance-officer'] as const;
export type Role = (typeof ROLES)[number];

const LABELS: Record<Role, string> = {
  member: 'Member',
  admin: 'Admin',
  'compliance-officer': 'Compliance officer',
};

export function RoleChoices(props: {
  idPrefix: string;
  legend: string;
  value: readonly Role[];
  onChange: (roles: Role[]) => void;
}) {
  return (
    <fieldset class="roles">
      <legend>{props.legend}</legend>
      {ROLES.map((role) => {
        const id = `${props.idPrefix}-${role}`;
        return (
          <span key={role} class="choice">
            <input
              id={id}
              type="checkbox"
              checked={props.value.includes(role)}
              onChange={(e) =>
                props.onChange(
                  e.currentTarget.checked ? [...props.value, role] : props.value.filter((r) => r !== role),
                )
              }
            />
            <label for={id}>{LABELS[role]}</label>
          </span>
        );
      })}
    </fieldset>
  );
}
