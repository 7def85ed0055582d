/**
 * The request id of the call in progress, for clients whose options take one function rather than
 * one id per call (messaging-client's `requestId`): one id follows a request across services.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const currentRequestId = new AsyncLocalStorage<string>();
