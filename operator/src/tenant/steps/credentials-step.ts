/**
 * Credentials: the Secret with what the tenant's services need to connect as the tenant (its
 * Redis and Kafka users' passwords, database, bucket, index). Written after the Mongo and
 * SearchIndex steps so it says whether a Mongo user and an Elasticsearch user exist (each step
 * learned it from its server).
 */
import type { Kube } from '../../manager/kube-client.ts';
import { writeCredentials } from '../credential-secrets.ts';
import { type ConnectionFacts, secretData } from '../credentials.ts';
import { ready, type StepOutcome, type TenantStep, type TenantStepContext } from '../step.ts';

export class CredentialsStep implements TenantStep {
  readonly name = 'Credentials';
  readonly #kube: Kube;
  readonly #connection: ConnectionFacts;
  readonly #storeNamespace: string;

  constructor(kube: Kube, connection: ConnectionFacts, storeNamespace: string) {
    this.#kube = kube;
    this.#connection = connection;
    this.#storeNamespace = storeNamespace;
  }

  async apply({
    tenant,
    desired,
    credentials,
    event,
    facts,
    existingSecret,
  }: TenantStepContext): Promise<StepOutcome> {
    const data = secretData(
      desired,
      credentials,
      this.#connection,
      facts.mongoUserSupported ?? false,
      facts.searchUserSupported ?? false,
    );
    const created = await writeCredentials(
      this.#kube,
      tenant,
      desired,
      existingSecret,
      data,
      this.#storeNamespace,
    );
    if (created) event('Normal', 'CredentialsCreated', `Secret ${desired.secretName} created`);
    return ready('Provisioned', `Secret ${desired.secretName}`);
  }
}
