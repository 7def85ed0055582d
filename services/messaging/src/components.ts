/**
 * The messaging service's object graph, in one place, so main.ts and the tests assemble exactly
 * the same service.
 */
import { EnvelopeEncryptor } from '@parley/crypto-client';
import type { Keyring } from '@parley/keyring';
import type { MongoClient } from 'mongodb';
import { BodySealer, keyringDataKeys } from './domain/body-sealer.ts';
import { ChangeApplier } from './domain/change-applier.ts';
import { Conversations } from './domain/conversations.ts';
import { History } from './domain/history.ts';
import { MessageViews } from './domain/message-views.ts';
import { Messages } from './domain/messages.ts';
import type { OutboxRelayLike } from './domain/outbox-publisher.ts';
import { PersonalData } from './domain/personal-data.ts';
import { ReadPointers } from './domain/read-pointers.ts';
import { SeqLedger } from './domain/seq-ledger.ts';
import { MessagingStore } from './store/collections.ts';

export interface MessagingComponents {
  store: MessagingStore;
  encryptor: EnvelopeEncryptor;
  sealer: BodySealer;
  ledger: SeqLedger;
  applier: ChangeApplier;
  conversations: Conversations;
  messages: Messages;
  history: History;
  readPointers: ReadPointers;
  /** GDPR export and erasure of what messaging holds about a person. */
  personalData: PersonalData;
}

export function createMessagingComponents(options: {
  mongo: MongoClient;
  keyring: Keyring;
  /** Publishes an outbox right after its write (the relay), or leaves it to the relay's passes. */
  publisher: OutboxRelayLike;
  seqVoidAfterMs: number;
}): MessagingComponents {
  const store = new MessagingStore(options.mongo);
  const encryptor = new EnvelopeEncryptor({ source: keyringDataKeys(options.keyring) });
  const sealer = new BodySealer(encryptor);
  const ledger = new SeqLedger(options.seqVoidAfterMs);
  const applier = new ChangeApplier(options.publisher);
  const conversations = new Conversations(store, options.publisher);
  const views = new MessageViews(sealer);
  return {
    store,
    encryptor,
    sealer,
    ledger,
    applier,
    conversations,
    messages: new Messages({ conversations, ledger, applier, sealer, views }),
    history: new History({ conversations, views, ledger, applier }),
    readPointers: new ReadPointers(store, conversations),
    personalData: new PersonalData({ store, ledger, applier, sealer, publisher: options.publisher }),
  };
}
