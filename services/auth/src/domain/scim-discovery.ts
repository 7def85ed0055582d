/**
 * SCIM 2.0 discovery (RFC 7644 section 4, RFC 7643 sections 5-7): what auth's SCIM endpoints
 * support, as a provisioning client reads it before it provisions. Nothing here is per tenant:
 * every tenant's SCIM is the same code, so these are constants, and they say only what
 * scim-users.ts and scim-groups.ts really do (a client that trusts them must not be refused).
 */
import { SCIM_GROUP_SCHEMA } from './scim-groups.ts';
import { SCIM_LIST_SCHEMA, SCIM_USER_SCHEMA } from './scim-users.ts';

export const SCIM_SERVICE_PROVIDER_CONFIG_SCHEMA =
  'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const SCIM_RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCIM_SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** The most resources one list answers (listScimResources caps `count` at this). */
export const SCIM_MAX_RESULTS = 200;

/** RFC 7643 section 5. */
export const serviceProviderConfig = {
  schemas: [SCIM_SERVICE_PROVIDER_CONFIG_SCHEMA],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  // Only `userName eq "..."` on Users and `displayName eq "..."` on Groups (any other is 400 invalidFilter).
  filter: { supported: true, maxResults: SCIM_MAX_RESULTS },
  changePassword: { supported: false },
  sort: { supported: false },
  // meta.version and the ETag header, If-Match (412) and If-None-Match (304), RFC 7644 section 3.14.
  etag: { supported: true },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description:
        "The tenant's SCIM token (issued by a tenant admin at /admin/scim/tokens) as `Authorization: Bearer`",
      specUri: 'https://www.rfc-editor.org/info/rfc6750',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig' },
};

/** RFC 7643 section 6: Users and Groups, no schema extensions. */
const resourceTypes = [
  {
    schemas: [SCIM_RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: "The tenant's people (userName is the sign-in e-mail)",
    schema: SCIM_USER_SCHEMA,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType' },
  },
  {
    schemas: [SCIM_RESOURCE_TYPE_SCHEMA],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: "Groups of the tenant's users",
    schema: SCIM_GROUP_SCHEMA,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType' },
  },
];

interface Attribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  subAttributes?: Attribute[];
}

const attribute = (
  name: string,
  description: string,
  options: Partial<Omit<Attribute, 'name' | 'description'>> = {},
): Attribute => ({
  name,
  type: 'string',
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...options,
});

/**
 * RFC 7643 section 7, the core User and Group schemas cut to what auth keeps. The common
 * attributes (id, externalId, meta) belong to no schema (section 3.1) and are not listed; auth
 * keeps externalId on both. Attributes a client sends that are not listed are accepted and ignored.
 */
const schemas = [
  {
    schemas: [SCIM_SCHEMA_SCHEMA],
    id: SCIM_USER_SCHEMA,
    name: 'User',
    description: 'User Account',
    attributes: [
      attribute(
        'userName',
        'The sign-in e-mail address; cannot change once set (PUT with another is 400 mutability)',
        {
          required: true,
          mutability: 'immutable',
          returned: 'always',
          uniqueness: 'server',
        },
      ),
      attribute('name', "The user's name; kept as displayName", {
        type: 'complex',
        subAttributes: [
          attribute('formatted', 'The full name (the display name)'),
          attribute('givenName', 'Read at creation when no displayName or formatted name is given', {
            mutability: 'writeOnly',
            returned: 'never',
          }),
          attribute('familyName', 'Read at creation when no displayName or formatted name is given', {
            mutability: 'writeOnly',
            returned: 'never',
          }),
        ],
      }),
      attribute('displayName', 'The name shown to other people (1-100 characters)'),
      attribute('emails', 'The one address, userName (emails sent are ignored)', {
        type: 'complex',
        multiValued: true,
        mutability: 'readOnly',
        subAttributes: [
          attribute('value', 'The e-mail address', { mutability: 'readOnly' }),
          attribute('primary', 'Always true', { type: 'boolean', mutability: 'readOnly' }),
        ],
      }),
      attribute('active', 'false suspends the user and ends every session of theirs at once', {
        type: 'boolean',
      }),
    ],
    meta: { resourceType: 'Schema' },
  },
  {
    schemas: [SCIM_SCHEMA_SCHEMA],
    id: SCIM_GROUP_SCHEMA,
    name: 'Group',
    description: 'Group',
    attributes: [
      attribute('displayName', 'The group name, unique in the tenant (case-insensitive)', {
        required: true,
        uniqueness: 'server',
      }),
      attribute('members', "The group's members, users of the same tenant", {
        type: 'complex',
        multiValued: true,
        subAttributes: [
          attribute('value', "The member's User id", { mutability: 'immutable', caseExact: true }),
          attribute('display', "The member's display name", { mutability: 'readOnly' }),
          attribute('type', 'Always User (groups do not nest)', {
            mutability: 'readOnly',
            canonicalValues: ['User'],
          }),
        ],
      }),
    ],
    meta: { resourceType: 'Schema' },
  },
];

const listOf = <T>(resources: T[]) => ({
  schemas: [SCIM_LIST_SCHEMA],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

export const resourceTypeList = listOf(resourceTypes);
export const schemaList = listOf(schemas);
