/** The API's shapes the chat uses, taken from the SDK's generated types (one source). */
import type { paths } from '@parley/sdk';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type Message = Json<
  paths['/api/v1/conversations/{conversationId}/messages']['post']['responses'][201]
>;
export type ConversationSummary = Json<
  paths['/api/v1/conversations']['get']['responses'][200]
>['conversations'][number];
export type Conversation = Json<paths['/api/v1/conversations/{conversationId}']['get']['responses'][200]>;
export type Change = Json<
  paths['/api/v1/conversations/{conversationId}/changes']['get']['responses'][200]
>['changes'][number];
