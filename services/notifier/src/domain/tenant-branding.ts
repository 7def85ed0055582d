/**
 * How a tenant's mail looks: its name (the From display name and the greeting), its language,
 * and a logo (an https URL the HTML part shows). One document in the tenant's own database
 * (`parley_<tenant>.notifier_branding`), set by a tenant admin through the gateway; a tenant
 * without one gets its id as name, English and no logo.
 */
import { type Static, Type } from '@parley/kit';
import { mongoDatabaseName } from '@parley/tenancy';
import type { MongoClient } from 'mongodb';

export const MAIL_LANGUAGES = ['en', 'de', 'fr'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

export const TenantBrandingSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80, description: 'Shown as the sender and in the text' }),
    language: Type.Union([Type.Literal('en'), Type.Literal('de'), Type.Literal('fr')], {
      description: 'The language of every mail to this tenant',
    }),
    logoUrl: Type.Optional(
      Type.String({ pattern: '^https://', maxLength: 500, description: 'Shown atop the HTML part' }),
    ),
  },
  { additionalProperties: false },
);
export type TenantBranding = Static<typeof TenantBrandingSchema>;

const COLLECTION = 'notifier_branding';

interface BrandingDocument {
  _id: string;
  name: string;
  language: MailLanguage;
  logoUrl?: string;
  updatedAt: Date;
}
const ID = 'branding';

export class TenantBrandings {
  readonly #client: MongoClient;

  constructor(client: MongoClient) {
    this.#client = client;
  }

  #collection(tenant: string) {
    return this.#client.db(mongoDatabaseName(tenant)).collection<BrandingDocument>(COLLECTION);
  }

  async get(tenant: string): Promise<TenantBranding> {
    const found = await this.#collection(tenant).findOne({ _id: ID });
    if (!found) return { name: tenant, language: 'en' };
    return {
      name: found.name,
      language: found.language,
      ...(found.logoUrl ? { logoUrl: found.logoUrl } : {}),
    };
  }

  async set(tenant: string, branding: TenantBranding): Promise<TenantBranding> {
    await this.#collection(tenant).replaceOne(
      { _id: ID },
      { ...branding, updatedAt: new Date() },
      { upsert: true },
    );
    return branding;
  }
}
